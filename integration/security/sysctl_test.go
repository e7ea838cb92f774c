package security

import (
	"strings"
	"testing"
)

func TestNamespacedSysctlsAreSetOthersRefused(t *testing.T) {
	d := start(t)
	for _, cli := range d.CLIs() {
		out := run(t, cli, "--sysctl", "kernel.shmmax=1048576", "--sysctl", "net.ipv4.ip_forward=1",
			"busybox", "cat", "/proc/sys/kernel/shmmax", "/proc/sys/net/ipv4/ip_forward")
		if out != "1048576\n1\n" {
			t.Errorf("%s: namespaced sysctls = %q", cli.Name, out)
		}
		for _, tc := range []struct{ args []string }{
			{[]string{"--sysctl", "kernel.panic=1"}},
			{[]string{"--network", "host", "--sysctl", "net.ipv4.ip_forward=1"}},
			{[]string{"--ipc", "host", "--sysctl", "kernel.shmmax=1"}},
		} {
			args := append([]string{"run", "--rm"}, tc.args...)
			r := cli.Run("", append(args, "busybox", "true")...)
			if r.ExitCode != 125 || !strings.Contains(r.Stderr, "sysctl") {
				t.Errorf("%s: run %v: %s", cli.Name, tc.args, r)
			}
		}
	}
}
