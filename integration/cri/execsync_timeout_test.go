package cri

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/testutil"
)

// An ExecSync that outlives its timeout answers DeadlineExceeded, as
// containerd's does, and its command is killed, not left running.
func TestExecSyncTimeoutKillsTheCommand(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podWithLogs(t, "exto")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "main", "sleep 1000")
	c.startContainer(id)

	for _, tc := range []struct {
		cmd  []string
		left string // what ps shows of the command while it runs
	}{
		{[]string{"sleep", "1001"}, "sleep 1001"},
		{[]string{"sh", "-c", "sleep 1002; echo never"}, "sleep 1002"}, // a child of the command goes too
	} {
		start := time.Now()
		_, err := c.Runtime.ExecSync(ctxT(t), &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: tc.cmd, Timeout: 1})
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("ExecSync(%q, timeout 1) = %v, want DeadlineExceeded", tc.cmd, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("ExecSync(%q, timeout 1) took %v", tc.cmd, d)
		}
		var ps string
		if !testutil.WaitFor(5*time.Second, func() bool {
			resp, err := c.Runtime.ExecSync(ctxT(t), &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: []string{"ps", "-o", "args"}})
			if err != nil {
				t.Fatalf("ExecSync(ps) = %v", err)
			}
			ps = string(resp.Stdout)
			return !strings.Contains(ps, tc.left)
		}) {
			t.Fatalf("after the timeout of %q the container runs:\n%s", tc.cmd, ps)
		}
		if !strings.Contains(ps, "sleep 1000") {
			t.Fatalf("the container's own process went too:\n%s", ps)
		}
	}
	// Without a timeout, or within it, the command runs to its end.
	resp, err := c.Runtime.ExecSync(ctxT(t), &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: []string{"sh", "-c", "echo ok; exit 4"}, Timeout: 5})
	if err != nil || string(resp.Stdout) != "ok\n" || resp.ExitCode != 4 {
		t.Errorf("ExecSync(within its timeout) = %v, %v", resp, err)
	}
}
