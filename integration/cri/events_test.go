package cri

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/testutil"
)

// eventLog collects the events of one GetContainerEvents stream.
type eventLog struct {
	mu     sync.Mutex
	events []*runtimeapi.ContainerEventResponse
	err    error
}

// watchEvents opens a GetContainerEvents stream and returns once the
// server has subscribed (its headers came), so no later event is missed.
func (c *criDaemon) watchEvents() *eventLog {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c.t.Cleanup(cancel)
	stream, err := c.Runtime.GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{})
	if err != nil {
		c.t.Fatalf("GetContainerEvents() = %v", err)
	}
	if _, err := stream.Header(); err != nil {
		c.t.Fatalf("GetContainerEvents headers: %v", err)
	}
	l := &eventLog{}
	go func() {
		for {
			ev, err := stream.Recv()
			l.mu.Lock()
			if err != nil {
				l.err = err
				l.mu.Unlock()
				return
			}
			l.events = append(l.events, ev)
			l.mu.Unlock()
		}
	}()
	return l
}

// of returns the events about id so far.
func (l *eventLog) of(id string) []*runtimeapi.ContainerEventResponse {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*runtimeapi.ContainerEventResponse
	for _, ev := range l.events {
		if ev.ContainerId == id {
			out = append(out, ev)
		}
	}
	return out
}

// waitFor waits until id has had the events of types, in order, and
// returns them.
func (l *eventLog) waitFor(t *testing.T, id string, types ...runtimeapi.ContainerEventType) []*runtimeapi.ContainerEventResponse {
	t.Helper()
	var got []*runtimeapi.ContainerEventResponse
	if !testutil.WaitFor(15*time.Second, func() bool {
		got = l.of(id)
		return len(got) >= len(types)
	}) {
		l.mu.Lock()
		err := l.err
		l.mu.Unlock()
		t.Fatalf("events of %s = %v (stream error %v), want %v", id, eventTypes(got), err, types)
	}
	if fmt.Sprint(eventTypes(got)) != fmt.Sprint(types) {
		t.Fatalf("events of %s = %v, want %v", id, eventTypes(got), types)
	}
	return got
}

func eventTypes(evs []*runtimeapi.ContainerEventResponse) []runtimeapi.ContainerEventType {
	var out []runtimeapi.ContainerEventType
	for _, ev := range evs {
		out = append(out, ev.ContainerEventType)
	}
	return out
}

// statusOf finds container id among an event's container statuses.
func statusOf(ev *runtimeapi.ContainerEventResponse, id string) *runtimeapi.ContainerStatus {
	for _, st := range ev.ContainersStatuses {
		if st.Id == id {
			return st
		}
	}
	return nil
}

const (
	evCreated = runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT
	evStarted = runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT
	evStopped = runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT
	evDeleted = runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT
)

// A pod's life comes as events, as containerd sends them: the sandbox's
// under its ID and each container's under its own, each with the pod's
// sandbox status and its containers' statuses as they are after the
// change.
func TestContainerEventsFollowAPodsLife(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	events := c.watchEvents()
	pod := podWithLogs(t, "ev")
	podID := c.runPod(pod)

	sbEvents := events.waitFor(t, podID, evCreated, evStarted)
	for _, ev := range sbEvents {
		st := ev.PodSandboxStatus
		if st.GetId() != podID || st.GetMetadata().GetUid() != "uid-ev" || st.GetState() != runtimeapi.PodSandboxState_SANDBOX_READY ||
			st.GetNetwork().GetIp() == "" || ev.CreatedAt == 0 || len(ev.ContainersStatuses) != 0 {
			t.Errorf("sandbox %v event = %v; want the ready pod with its address, no containers", ev.ContainerEventType, ev)
		}
	}

	id := c.createContainer(podID, pod, "once", "exit 3")
	created := events.waitFor(t, id, evCreated)[0]
	if st := statusOf(created, id); st.GetState() != runtimeapi.ContainerState_CONTAINER_CREATED || st.GetLabels()["ctr"] != "once" ||
		created.PodSandboxStatus.GetId() != podID {
		t.Errorf("created event = %v; want the container created, with its labels, in its pod", created)
	}
	c.startContainer(id)
	c.waitExited(id)
	evs := events.waitFor(t, id, evCreated, evStarted, evStopped)
	if st := statusOf(evs[2], id); st.GetState() != runtimeapi.ContainerState_CONTAINER_EXITED || st.GetExitCode() != 3 {
		t.Errorf("stopped event status = %v; want exited with code 3", st)
	}
	if _, err := c.Runtime.RemoveContainer(ctxT(t), &runtimeapi.RemoveContainerRequest{ContainerId: id}); err != nil {
		t.Fatal(err)
	}
	evs = events.waitFor(t, id, evCreated, evStarted, evStopped, evDeleted)
	if del := evs[3]; statusOf(del, id) != nil || del.PodSandboxStatus.GetId() != podID {
		t.Errorf("deleted event = %v; want the pod without the container", del)
	}

	if _, err := c.Runtime.StopPodSandbox(ctxT(t), &runtimeapi.StopPodSandboxRequest{PodSandboxId: podID}); err != nil {
		t.Fatal(err)
	}
	stopped := events.waitFor(t, podID, evCreated, evStarted, evStopped)[2]
	if stopped.PodSandboxStatus.GetState() != runtimeapi.PodSandboxState_SANDBOX_NOTREADY {
		t.Errorf("sandbox stopped event = %v; want the pod not ready", stopped)
	}
	if _, err := c.Runtime.RemovePodSandbox(ctxT(t), &runtimeapi.RemovePodSandboxRequest{PodSandboxId: podID}); err != nil {
		t.Fatal(err)
	}
	deleted := events.waitFor(t, podID, evCreated, evStarted, evStopped, evDeleted)[3]
	// The kubelet drops the pod from its cache when the deleted event's
	// sandbox status has the event's ID and the pod's UID.
	if st := deleted.PodSandboxStatus; st.GetId() != podID || st.GetMetadata().GetUid() != "uid-ev" {
		t.Errorf("sandbox deleted event = %v; want the pod's ID and metadata", deleted)
	}
}

// A container removed by its pod's removal is reported deleted too.
func TestContainerEventsReportContainersRemovedWithTheirPod(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podWithLogs(t, "evrm")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "sleeper", "sleep 1000")
	c.startContainer(id)
	events := c.watchEvents()
	if _, err := c.Runtime.RemovePodSandbox(ctxT(t), &runtimeapi.RemovePodSandboxRequest{PodSandboxId: podID}); err != nil {
		t.Fatal(err)
	}
	evs := events.waitFor(t, id, evStopped, evDeleted)
	if st := evs[1].PodSandboxStatus; st.GetId() != podID || st.GetMetadata().GetName() != "evrm" {
		t.Errorf("deleted event = %v; want the pod's ID and metadata", evs[1])
	}
	events.waitFor(t, podID, evStopped, evDeleted)
}

// crictl events prints the events as they come.
func TestCrictlEventsPrintsTheEvents(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podWithLogs(t, "evcli")
	podID := c.runPod(pod)

	cfg := filepath.Join(t.TempDir(), "crictl.yaml")
	conf := fmt.Sprintf("runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\n", c.CRISock, c.CRISock)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(crictlPath(t), "--config", cfg, "events", "-o", "go-template",
		"--template", "{{.containerEventType}} {{.containerId}} {{.podSandboxStatus.metadata.name}}\n")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	// crictl cannot tell when it has subscribed: make containers until
	// one is reported.
	var id string
	if !testutil.WaitFor(15*time.Second, func() bool {
		id = c.createContainer(podID, pod, "probe", "true")
		if _, err := c.Runtime.RemoveContainer(ctxT(t), &runtimeapi.RemoveContainerRequest{ContainerId: id}); err != nil {
			t.Fatal(err)
		}
		return strings.Contains(out.String(), "CONTAINER_DELETED_EVENT "+id+" evcli")
	}) {
		t.Fatalf("crictl events printed no deletion:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "CONTAINER_CREATED_EVENT "+id+" evcli") {
		t.Errorf("crictl events = %q, want the creation of %s", out.String(), id)
	}
}

// lockedBuffer is a bytes.Buffer a command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tugd stopping ends the event streams (Unavailable, as containerd's
// closed subscription) instead of waiting for their clients.
func TestContainerEventsEndWhenTugdStops(t *testing.T) {
	c := startCRI(t)
	events := c.watchEvents()
	start := time.Now()
	c.Stop()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("tugd took %v to stop with an event stream open", d)
	}
	var err error
	if !testutil.WaitFor(5*time.Second, func() bool {
		events.mu.Lock()
		defer events.mu.Unlock()
		err = events.err
		return err != nil
	}) || status.Code(err) != codes.Unavailable {
		t.Errorf("event stream ended with %v, want Unavailable", err)
	}
	c.Start()
	c.waitCRI()
}
