package cri

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/testutil"
)

// A pod's container through crictl: create, start, ps, inspect, logs
// (written in the CRI's format at the kubelet's path), exec, stop, rm.
func TestContainerLifecycleThroughCrictl(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	dir := t.TempDir()
	podJSON := filepath.Join(dir, "pod.json")
	ctrJSON := filepath.Join(dir, "ctr.json")
	logDir := filepath.Join(dir, "logs")
	if err := os.WriteFile(podJSON, []byte(`{"metadata": {"name": "lc", "namespace": "default", "uid": "uid-lc"}, "log_directory": "`+logDir+`", "linux": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ctrJSON, []byte(`{"metadata": {"name": "app"}, "image": {"image": "busybox"},
		"command": ["sh", "-c", "echo to-stdout; echo to-stderr >&2; printf partial; sleep 1000"], "log_path": "app/0.log", "linux": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := c.Crictl("run", "--no-pull", ctrJSON, podJSON)
	if r.ExitCode != 0 {
		t.Fatalf("crictl run: %s\n%s", r, c.Log())
	}
	id := strings.TrimSpace(r.Stdout)
	if r := c.Crictl("ps"); !strings.Contains(r.Stdout, id[:13]) || !strings.Contains(r.Stdout, "Running") || !strings.Contains(r.Stdout, "app") {
		t.Errorf("crictl ps: %s", r)
	}
	logFile := filepath.Join(logDir, "app", "0.log")
	if r := c.Crictl("inspect", id); r.ExitCode != 0 || !strings.Contains(r.Stdout, `"state": "CONTAINER_RUNNING"`) || !strings.Contains(r.Stdout, logFile) {
		t.Errorf("crictl inspect: %s", r)
	}
	record := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (stdout|stderr) ([FP]) (.*)$`)
	var got []string
	testutil.WaitFor(5*time.Second, func() bool {
		b, _ := os.ReadFile(logFile)
		got = nil
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if m := record.FindStringSubmatch(l); m != nil {
				got = append(got, m[1]+" "+m[2]+" "+m[3])
			} else if l != "" {
				got = append(got, "bad record: "+l)
			}
		}
		return len(got) == 2
	})
	want := map[string]bool{"stdout F to-stdout": true, "stderr F to-stderr": true}
	if len(got) != 2 || !want[got[0]] || !want[got[1]] {
		t.Errorf("log records = %q, want a full line on each stream", got)
	}
	if r := c.Crictl("logs", id); !strings.Contains(r.Stdout, "to-stdout") || !strings.Contains(r.Stderr, "to-stderr") {
		t.Errorf("crictl logs: %s", r)
	}
	if r := c.Crictl("exec", "-s", id, "sh", "-c", "echo in-ctr; exit 0"); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "in-ctr" {
		t.Errorf("crictl exec -s: %s", r)
	}
	if r := c.Crictl("stop", "-t", "1", id); r.ExitCode != 0 {
		t.Fatalf("crictl stop: %s", r)
	}
	st := c.containerStatus(id)
	if st.State != runtimeapi.ContainerState_CONTAINER_EXITED || st.ExitCode != 137 || st.Reason != "Error" || st.FinishedAt == 0 {
		t.Errorf("status after stop = %v; want exited, 137 (sh ignores SIGTERM as pid 1), Error", st)
	}
	// The unterminated last line is logged as a partial record when the
	// output ends.
	if b, _ := os.ReadFile(logFile); !regexp.MustCompile(`stdout P partial\n`).Match(b) {
		t.Errorf("log after stop = %q, want the partial last line", b)
	}
	if r := c.Crictl("rm", "--keep-logs", id); r.ExitCode != 0 {
		t.Fatalf("crictl rm: %s", r)
	}
	if r := c.Crictl("ps", "-a", "-q"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("crictl ps -a after rm: %s", r)
	}
	if _, err := os.Stat(logFile); err != nil {
		t.Errorf("the runtime removed the log with the container (the kubelet, or crictl, owns it): %v", err)
	}
}

// Containers share their pod's network, IPC and UTS namespaces (the pause
// process's): its address and hostname; their resolv.conf is made from
// the pod's DNS config.
func TestContainersJoinThePodsNamespaces(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podWithLogs(t, "shared")
	podID := c.runPod(pod)
	podSt, pausePid := c.podStatus(podID)
	id := c.createContainer(podID, pod, "web", "sleep 1000")
	c.startContainer(id)
	exec1 := func(cmd ...string) string {
		t.Helper()
		resp, err := c.Runtime.ExecSync(ctxT(t), &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: cmd, Timeout: 10})
		if err != nil || resp.ExitCode != 0 {
			t.Fatalf("ExecSync(%v) = %v, %v", cmd, resp, err)
		}
		return string(resp.Stdout)
	}
	if out := exec1("ip", "-4", "-o", "addr", "show", "eth0"); !strings.Contains(out, podSt.Network.Ip+"/24") {
		t.Errorf("eth0 in the container = %q, want the pod's address %s", out, podSt.Network.Ip)
	}
	if out := exec1("hostname"); strings.TrimSpace(out) != "shared-host" {
		t.Errorf("hostname = %q, want the pod's", out)
	}
	if out := exec1("cat", "/etc/resolv.conf"); !strings.Contains(out, "nameserver 127.0.0.1") || !strings.Contains(out, "search svc.cluster.local") {
		t.Errorf("resolv.conf = %q, want the pod's DNS config", out)
	}
	ns := func(pid int, kind string) string {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	ctrPid := 0
	if resp, err := c.Runtime.ContainerStatus(ctxT(t), &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: true}); err == nil {
		fmt.Sscanf(resp.Info["info"][strings.Index(resp.Info["info"], `"pid":`)+6:], "%d", &ctrPid)
	}
	if ctrPid == 0 {
		t.Fatal("no pid in the container's verbose status")
	}
	for _, kind := range []string{"net", "ipc", "uts"} {
		if a, b := ns(pausePid, kind), ns(ctrPid, kind); a != b {
			t.Errorf("%s namespace: pause %s, container %s; want one", kind, a, b)
		}
	}
	if a, b := ns(pausePid, "pid"), ns(ctrPid, "pid"); a == b {
		t.Errorf("the container shares the pause's pid namespace without asking")
	}
}

// Exit codes and reasons: 0 is Completed, others Error, with the code;
// ExecSync returns the command's output and exit code.
func TestContainerExitCodesAndExecSync(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podWithLogs(t, "codes")
	podID := c.runPod(pod)
	ok := c.createContainer(podID, pod, "ok", "true")
	bad := c.createContainer(podID, pod, "bad", "exit 3")
	if st := c.containerStatus(ok); st.State != runtimeapi.ContainerState_CONTAINER_CREATED || st.CreatedAt == 0 {
		t.Errorf("status before start = %v, want created", st)
	}
	c.startContainer(ok)
	c.startContainer(bad)
	if st := c.waitExited(ok); st.ExitCode != 0 || st.Reason != "Completed" {
		t.Errorf("true: %v, want 0, Completed", st)
	}
	if st := c.waitExited(bad); st.ExitCode != 3 || st.Reason != "Error" {
		t.Errorf("exit 3: %v, want 3, Error", st)
	}
	list, err := c.Runtime.ListContainers(ctxT(t), &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{
		PodSandboxId: podID, LabelSelector: map[string]string{"ctr": "bad"},
	}})
	if err != nil || len(list.Containers) != 1 || list.Containers[0].Id != bad {
		t.Errorf("ListContainers(label ctr=bad) = %v, %v", list, err)
	}

	run := c.createContainer(podID, pod, "run", "sleep 1000")
	c.startContainer(run)
	resp, err := c.Runtime.ExecSync(ctxT(t), &runtimeapi.ExecSyncRequest{ContainerId: run, Cmd: []string{"sh", "-c", "echo out; echo err >&2; exit 7"}})
	if err != nil || string(resp.Stdout) != "out\n" || string(resp.Stderr) != "err\n" || resp.ExitCode != 7 {
		t.Errorf("ExecSync = %v, %v; want out, err, 7", resp, err)
	}
}

// Removing a pod removes its containers; nothing of them is left.
func TestRemovePodRemovesItsContainers(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podWithLogs(t, "gone")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "web", "sleep 1000")
	c.startContainer(id)
	if r := c.Crictl("rmp", "-f", podID); r.ExitCode != 0 {
		t.Fatalf("crictl rmp -f: %s", r)
	}
	if r := c.Tug("ps", "-a", "-q", "--filter", "label=io.tug.cri.owner"); r.Stdout != "" {
		t.Errorf("containers left after rmp: %q", r.Stdout)
	}
	if r := c.Crictl("ps", "-a", "-q"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("crictl ps -a after rmp: %s", r)
	}
}

// A pod's container keeps running and logging across a SIGKILL of tugd,
// and the next tugd execs into it and stops it.
func TestPodContainersSurviveTugdSIGKILL(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podWithLogs(t, "keep")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "ticker", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done")
	c.startContainer(id)
	logFile := filepath.Join(pod.LogDirectory, "ticker", "0.log")
	c.Kill()
	lines := func() int {
		b, _ := os.ReadFile(logFile)
		return strings.Count(string(b), "\n")
	}
	n := lines()
	if !testutil.WaitFor(5*time.Second, func() bool { return lines() > n+2 }) {
		t.Errorf("the container stopped logging while tugd was down")
	}
	c.Start()
	c.waitCRI()
	if st := c.containerStatus(id); st.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		t.Fatalf("after a restart: %v", st)
	}
	resp, err := c.Runtime.ExecSync(ctxT(t), &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: []string{"echo", "still-here"}})
	if err != nil || string(resp.Stdout) != "still-here\n" {
		t.Errorf("ExecSync after a restart = %v, %v", resp, err)
	}
	if _, err := c.Runtime.StopContainer(ctxT(t), &runtimeapi.StopContainerRequest{ContainerId: id, Timeout: 1}); err != nil {
		t.Errorf("StopContainer after a restart = %v", err)
	}
}

// After the kubelet renames a container's log away, ReopenContainerLog
// makes the shim start a new file at the log path; a stopped container's
// log cannot be reopened.
func TestReopenContainerLogStartsANewFile(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podWithLogs(t, "rotate")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "ticker", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done")
	c.startContainer(id)
	logFile := filepath.Join(pod.LogDirectory, "ticker", "0.log")
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			return -1
		}
		return fi.Size()
	}
	if !testutil.WaitFor(5*time.Second, func() bool { return size(logFile) > 0 }) {
		t.Fatal("no log")
	}
	if err := os.Rename(logFile, logFile+".1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Runtime.ReopenContainerLog(ctxT(t), &runtimeapi.ReopenContainerLogRequest{ContainerId: id}); err != nil {
		t.Fatalf("ReopenContainerLog() = %v", err)
	}
	old := size(logFile + ".1")
	if !testutil.WaitFor(5*time.Second, func() bool { return size(logFile) > 0 }) {
		t.Fatal("no new log file after ReopenContainerLog")
	}
	// A few more ticks reach the new file; none may reach the renamed one.
	grown := size(logFile)
	if !testutil.WaitFor(5*time.Second, func() bool { return size(logFile) > grown }) {
		t.Fatal("the new log file does not grow")
	}
	if got := size(logFile + ".1"); got != old {
		t.Errorf("the renamed log still grows (%d -> %d bytes)", old, got)
	}
	if _, err := c.Runtime.StopContainer(ctxT(t), &runtimeapi.StopContainerRequest{ContainerId: id, Timeout: 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Runtime.ReopenContainerLog(ctxT(t), &runtimeapi.ReopenContainerLogRequest{ContainerId: id}); err == nil {
		t.Error("ReopenContainerLog of a stopped container succeeded")
	}
}
