package userns

import (
	"strings"
	"testing"
)

// A remapped container joining another's IPC or PID namespace joins its
// user namespace too (as Docker does: those namespaces belong to it);
// the host's IPC namespace is refused, since /dev/mqueue cannot be
// mounted for it from a user namespace.
func TestRemappedContainersJoinTheDonorsUserNamespace(t *testing.T) {
	d, _, _ := startRemapped(t)
	tug := d.CLIs()[0]
	ok(t, tug, "run", "-d", "--name", "donor", "--ipc", "shareable", "busybox", "sleep", "1000")
	donor := ok(t, tug, "exec", "donor", "readlink", "/proc/self/ns/user")
	for _, mode := range []string{"--ipc", "--pid"} {
		out := ok(t, tug, "run", "--rm", mode, "container:donor", "busybox", "sh", "-c", "readlink /proc/self/ns/user; id -u")
		if out != donor+"\n0" {
			t.Errorf("%s container:donor: user namespace and uid %q, want the donor's %s and 0", mode, out, donor)
		}
	}
	for _, cli := range d.CLIs() {
		r := cli.Run("", "run", "--rm", "--ipc", "host", "busybox", "true")
		if r.ExitCode != 125 || !strings.Contains(r.Stderr, "cannot share the host IPC namespace when user namespaces are enabled") {
			t.Errorf("%s --ipc host: %s", cli.Name, r)
		}
	}
	ok(t, tug, "run", "--rm", "--userns", "host", "--ipc", "host", "busybox", "true")
}
