package security

import (
	"os"
	"strings"
	"testing"
)

func hostNS(t *testing.T, kind string) string {
	t.Helper()
	l, err := os.Readlink("/proc/self/ns/" + kind)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestNamespaceModes(t *testing.T) {
	d := start(t)
	for _, cli := range d.CLIs() {
		ns := func(args ...string) string {
			return strings.TrimSpace(run(t, cli, append(args, "busybox", "sh", "-c", "readlink /proc/self/ns/$K")...))
		}
		for _, tc := range []struct {
			kind, flag string
		}{{"pid", "--pid"}, {"ipc", "--ipc"}, {"uts", "--uts"}, {"cgroup", "--cgroupns"}} {
			k := "K=" + tc.kind
			if got := ns("-e", k, tc.flag, "host"); got != hostNS(t, tc.kind) {
				t.Errorf("%s: %s host: %s namespace %s, want the host's %s", cli.Name, tc.flag, tc.kind, got, hostNS(t, tc.kind))
			}
			if tc.kind == "uts" {
				continue
			}
			priv := "private"
			if tc.kind == "pid" {
				priv = ""
			}
			args := []string{"-e", k}
			if priv != "" {
				args = append(args, tc.flag, priv)
			}
			if got := ns(args...); got == hostNS(t, tc.kind) {
				t.Errorf("%s: %s %s: the host's %s namespace", cli.Name, tc.flag, priv, tc.kind)
			}
		}
		host, _ := os.Hostname()
		if out := strings.TrimSpace(run(t, cli, "--uts", "host", "busybox", "hostname")); out != host {
			t.Errorf("%s: hostname with --uts host = %q, want %q", cli.Name, out, host)
		}
	}

	// Joining another container's IPC and PID namespaces.
	if r := d.Tug("run", "-d", "--name", "donor", "--network", "none", "--ipc", "shareable", "busybox", "sleep", "100"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("run", "-d", "--name", "private", "--network", "none", "busybox", "sleep", "100"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	donor := func(kind string) string {
		return strings.TrimSpace(d.Tug("exec", "donor", "readlink", "/proc/self/ns/"+kind).Stdout)
	}
	for _, cli := range d.CLIs() {
		out := strings.TrimSpace(run(t, cli, "--ipc", "container:donor", "--pid", "container:donor", "busybox", "sh", "-c",
			"readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid; pidof sleep"))
		lines := strings.Split(out, "\n")
		if len(lines) != 3 || lines[0] != donor("ipc") || lines[1] != donor("pid") || lines[2] != "1" {
			t.Errorf("%s: joined namespaces = %q, want the donor's ipc %s, pid %s and its sleep as pid 1", cli.Name, out, donor("ipc"), donor("pid"))
		}
		r := cli.Run("", "run", "--rm", "--network", "none", "--ipc", "container:private", "busybox", "true")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "non-shareable IPC") {
			t.Errorf("%s: joining a private IPC namespace: %s", cli.Name, r)
		}
	}
	if r := d.Tug("create", "--name", "stopped", "busybox", "true"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	r := d.Tug("run", "--rm", "--network", "none", "--pid", "container:stopped", "busybox", "true")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "cannot join PID of a non running container: stopped") {
		t.Errorf("joining a stopped container's PID namespace: %s", r)
	}
	if got := strings.TrimSpace(d.Tug("inspect", "--format", "{{.HostConfig.IpcMode}} {{.HostConfig.CgroupnsMode}}", "private").Stdout); got != "private host" && got != "private private" {
		t.Errorf("inspect IpcMode CgroupnsMode = %q", got)
	}
}

// --userns takes only host (integration/userns tests userns-remap and
// the opt-out); other values are refused with Docker's text.
func TestUsernsModeOtherThanHostIsRefused(t *testing.T) {
	d := start(t)
	run(t, d.CLIs()[0], "--userns", "host", "busybox", "true")
	r := d.Tug("run", "--rm", "--userns", "private", "busybox", "true")
	if r.ExitCode != 125 || !strings.Contains(r.Stderr, "invalid USER mode: private") {
		t.Errorf("--userns private: %s", r)
	}
}
