package security

import (
	"strings"
	"testing"
)

func TestDeviceIsCreatedAndUsable(t *testing.T) {
	d := start(t)
	for _, cli := range d.CLIs() {
		out := run(t, cli, "--device", "/dev/null:/dev/mynull", "busybox", "sh", "-c", "ls -l /dev/mynull && echo x > /dev/mynull && echo written")
		if !strings.HasPrefix(out, "crw") || !strings.Contains(out, "1,   3") || !strings.Contains(out, "written") {
			t.Errorf("%s: --device /dev/null:/dev/mynull: %q", cli.Name, out)
		}
		// Read-only permission: the cgroup refuses writes (/dev/kmsg is
		// not among the devices every container may use).
		r := cli.Run("", "run", "--rm", "--network", "none", "--device", "/dev/kmsg:/dev/ro:r", "busybox", "sh", "-c", "echo x > /dev/ro")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "Operation not permitted") {
			t.Errorf("%s: write to a :r device: %s", cli.Name, r)
		}
		// --device-cgroup-rule allows a device the container creates itself.
		run(t, cli, "--device-cgroup-rule", "c 1:3 rwm", "busybox", "sh", "-c", "mknod /tmp/n c 1 3 && echo x > /tmp/n")
		// A refusal at create: exit 125 from tug run; docker/cli matches a
		// create error's text like a start error's ("no such file or
		// directory": 127), as it does against dockerd.
		want := 125
		if cli.Name == "docker" {
			want = 127
		}
		r = cli.Run("", "run", "--rm", "--network", "none", "--device", "/dev/nope-"+cli.Name, "busybox", "true")
		if r.ExitCode != want || !strings.Contains(r.Stderr, `error gathering device information while adding custom device "/dev/nope-`+cli.Name+`"`) {
			t.Errorf("%s: a device the host does not have: %s", cli.Name, r)
		}
	}
}
