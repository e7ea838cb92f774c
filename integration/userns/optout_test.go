package userns

import (
	"strings"
	"testing"
)

// --userns host runs a container with the host's identity mapping when
// the daemon remaps; what cannot run in a user namespace is refused
// without it, with Docker's texts; info and inspect say what is on.
func TestUsernsHostOptsOut(t *testing.T) {
	d, _, _ := startRemapped(t)
	for _, cli := range d.CLIs() {
		if out := strings.Join(strings.Fields(ok(t, cli, "run", "--rm", "--userns", "host", "busybox", "cat", "/proc/self/uid_map")), " "); out != "0 0 4294967295" {
			t.Errorf("%s: uid_map with --userns host = %q, want the identity map", cli.Name, out)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--privileged"}, "privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode"},
			{[]string{"--network", "host"}, "cannot share the host's network namespace when user namespaces are enabled"},
			{[]string{"--pid", "host"}, "cannot share the host PID namespace when user namespaces are enabled"},
			{[]string{"--userns", "private"}, "invalid USER mode"}, // the docker CLI says it without the value
		} {
			r := cli.Run("", append(append([]string{"run", "--rm"}, tc.args...), "busybox", "true")...)
			if r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("%s run %v: %s; want exit 125 and %q", cli.Name, tc.args, r, tc.want)
			}
		}
		// With --userns host, privileged and the host's namespaces work.
		if out := ok(t, cli, "run", "--rm", "--userns", "host", "--privileged", "--pid", "host", "busybox", "sh", "-c", "cat /proc/self/uid_map; ls /dev | grep -c ."); !strings.HasPrefix(strings.Join(strings.Fields(out), " "), "0 0 4294967295") {
			t.Errorf("%s: --userns host --privileged: %q", cli.Name, out)
		}
	}
	ok(t, d.CLIs()[0], "create", "--name", "hostns", "--userns", "host", "busybox", "true")
	if got := ok(t, d.CLIs()[0], "inspect", "-f", "{{.HostConfig.UsernsMode}}", "hostns"); got != "host" {
		t.Errorf("inspect HostConfig.UsernsMode = %q, want host", got)
	}
	for _, cli := range d.CLIs() {
		if got := ok(t, cli, "info", "-f", "{{json .SecurityOptions}}"); !strings.Contains(got, `"name=userns"`) {
			t.Errorf("%s info SecurityOptions = %s, want name=userns", cli.Name, got)
		}
	}
}
