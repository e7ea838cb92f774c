package security

import (
	"strings"
	"testing"
)

// The test image's /etc/group has staff:x:50:tester and tester:x:1000.
func TestGroupAddAndUserResolveInTheImage(t *testing.T) {
	d := start(t)
	for _, cli := range d.CLIs() {
		out := run(t, cli, "--group-add", "staff", "--group-add", "4242", "busybox", "id")
		if strings.TrimSpace(out) != "uid=0(root) gid=0(root) groups=50(staff),4242" {
			t.Errorf("%s: id with --group-add staff --group-add 4242 = %q", cli.Name, out)
		}
		out = run(t, cli, "--user", "tester", "busybox", "id")
		if strings.TrimSpace(out) != "uid=1000(tester) gid=1000(tester) groups=50(staff)" {
			t.Errorf("%s: id as tester = %q", cli.Name, out)
		}
		r := cli.Run("", "run", "--rm", "--network", "none", "--group-add", "nosuchgroup", "busybox", "id")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "nosuchgroup") {
			t.Errorf("%s: --group-add nosuchgroup: %s", cli.Name, r)
		}
		out = run(t, cli, "--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs", "/proc/self/status")
		if statusField(t, out, "NoNewPrivs") != "1" {
			t.Errorf("%s: no-new-privileges: %q", cli.Name, out)
		}
	}
}

// An exec resolves its user afresh and gets the container's --group-add
// groups again, as its own or the container's user.
func TestExecKeepsGroupAdd(t *testing.T) {
	d := start(t)
	for _, cli := range d.CLIs() {
		name := "groups-" + cli.Name
		if r := cli.Run("", "run", "-d", "--name", name, "--network", "none", "--group-add", "staff", "--group-add", "4242", "busybox", "sleep", "600"); r.ExitCode != 0 {
			t.Fatalf("%s: run -d: %s", cli.Name, r)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"exec", name, "id"}, "uid=0(root) gid=0(root) groups=50(staff),4242"},
			{[]string{"exec", "-u", "tester", name, "id"}, "uid=1000(tester) gid=1000(tester) groups=50(staff),4242"},
		} {
			r := cli.Run("", tc.args...)
			if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != tc.want {
				t.Errorf("%s %v = %s, want %q", cli.Name, tc.args, r, tc.want)
			}
		}
		if r := cli.Run("", "rm", "-f", name); r.ExitCode != 0 {
			t.Errorf("%s: rm -f: %s", cli.Name, r)
		}
	}
}
