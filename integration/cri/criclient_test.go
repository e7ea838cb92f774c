package cri

import (
	"errors"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	criclient "k8s.io/cri-client/pkg"
	utilexec "k8s.io/utils/exec"

	"github.com/tug-project/tug/internal/testutil"
)

// The kubelet's own CRI client (k8s.io/cri-client, with the list
// streaming it falls back from) drives a pod through its life: image
// pulled from a registry, sandbox on the CNI network, a container created,
// tugd restarted before the container starts, then start, status, ExecSync
// (exit codes as the kubelet reads them), stop and removal of both.
func TestKubeletCRIClientRunsAPodAcrossATugdRestart(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	ref := startRegistry(t, "", "") + "/kube/busybox:1"
	c.pushBusybox(ref, t.TempDir())

	ctx := ctxT(t)
	endpoint := "unix://" + c.CRISock
	rt, err := criclient.NewRemoteRuntimeServiceBuilder().WithEndpoint(endpoint).
		WithConnectionTimeout(10 * time.Second).WithUseStreaming(true).Build(ctx)
	if err != nil {
		t.Fatalf("runtime client: %v", err)
	}
	defer rt.Close(ctx)
	img, err := criclient.NewRemoteImageServiceBuilder().WithEndpoint(endpoint).
		WithConnectionTimeout(10 * time.Second).WithUseStreaming(true).Build(ctx)
	if err != nil {
		t.Fatalf("image client: %v", err)
	}
	defer img.Close(ctx)

	pod := podWithLogs(t, "kubelet")
	if _, err := img.PullImage(ctx, &runtimeapi.ImageSpec{Image: ref}, nil, pod); err != nil {
		t.Fatalf("PullImage(%s) = %v", ref, err)
	}
	if st, err := img.ImageStatus(ctx, &runtimeapi.ImageSpec{Image: ref}, false); err != nil || st.Image == nil {
		t.Fatalf("ImageStatus(%s) = %v, %v", ref, st, err)
	}
	podID, err := rt.RunPodSandbox(ctx, pod, "")
	if err != nil {
		t.Fatalf("RunPodSandbox = %v\n%s", err, c.Log())
	}
	ctrID, err := rt.CreateContainer(ctx, podID, &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "app"},
		Image:    &runtimeapi.ImageSpec{Image: ref},
		Command:  []string{"sleep", "1000"},
		LogPath:  "app/0.log",
		Linux:    &runtimeapi.LinuxContainerConfig{},
	}, pod)
	if err != nil {
		t.Fatalf("CreateContainer = %v\n%s", err, c.Log())
	}

	c.Stop() // the client keeps its connection object and reconnects
	c.Start()
	c.waitCRI()

	if err := rt.StartContainer(ctx, ctrID); err != nil {
		t.Fatalf("StartContainer after a tugd restart = %v\n%s", err, c.Log())
	}
	st, err := rt.ContainerStatus(ctx, ctrID, false)
	if err != nil || st.Status.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		t.Fatalf("ContainerStatus = %v, %v; want running", st, err)
	}
	ctrs, err := rt.ListContainers(ctx, &runtimeapi.ContainerFilter{PodSandboxId: podID})
	if err != nil || len(ctrs) != 1 || ctrs[0].Id != ctrID {
		t.Fatalf("ListContainers(pod) = %v, %v; want the one container", ctrs, err)
	}
	pods, err := rt.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{State: &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}})
	if err != nil || len(pods) != 1 || pods[0].Id != podID {
		t.Fatalf("ListPodSandbox(ready) = %v, %v; want the pod", pods, err)
	}

	stdout, _, err := rt.ExecSync(ctx, ctrID, []string{"hostname"}, 10*time.Second)
	if err != nil || strings.TrimSpace(string(stdout)) != pod.Hostname {
		t.Errorf("ExecSync hostname = %q, %v; want %q", stdout, err, pod.Hostname)
	}
	_, _, err = rt.ExecSync(ctx, ctrID, []string{"sh", "-c", "exit 3"}, 10*time.Second)
	var exit utilexec.CodeExitError
	if !errors.As(err, &exit) || exit.Code != 3 {
		t.Errorf("ExecSync exit 3 = %v; want the kubelet's CodeExitError with code 3", err)
	}

	if err := rt.StopContainer(ctx, ctrID, 5); err != nil {
		t.Fatalf("StopContainer = %v", err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		st, err := rt.ContainerStatus(ctx, ctrID, false)
		return err == nil && st.Status.State == runtimeapi.ContainerState_CONTAINER_EXITED
	})
	if err := rt.RemoveContainer(ctx, ctrID); err != nil {
		t.Fatalf("RemoveContainer = %v", err)
	}
	if err := rt.StopPodSandbox(ctx, podID); err != nil {
		t.Fatalf("StopPodSandbox = %v", err)
	}
	if err := rt.RemovePodSandbox(ctx, podID); err != nil {
		t.Fatalf("RemovePodSandbox = %v", err)
	}
	if pods, err := rt.ListPodSandbox(ctx, nil); err != nil || len(pods) != 0 {
		t.Errorf("ListPodSandbox after removal = %v, %v; want none", pods, err)
	}
}
