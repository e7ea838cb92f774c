package security

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// statusField returns a field of /proc/self/status as the container's
// command printed it ("CapEff:\t00000000a80425fb" -> "00000000a80425fb").
func statusField(t *testing.T, out, key string) string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == key {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s in %q", key, out)
	return ""
}

// hostStatus is a field of this (root) test process's /proc/self/status.
func hostStatus(t *testing.T, key string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	return statusField(t, string(b), key)
}

func start(t *testing.T) *testutil.Daemon {
	t.Helper()
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	return d
}

// run runs a --network none container through the CLI and wants exit 0.
func run(t *testing.T, cli testutil.CLI, args ...string) string {
	t.Helper()
	r := cli.Run("", append([]string{"run", "--rm", "--network", "none"}, args...)...)
	if r.ExitCode != 0 {
		t.Fatalf("%s run %v: %s", cli.Name, args, r)
	}
	return r.Stdout
}

var execCommand = exec.Command
