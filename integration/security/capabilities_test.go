package security

import (
	"strings"
	"testing"
)

// Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
// SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
const dockerDefaultCaps = "00000000a80425fb"

func TestDefaultCapabilitiesAreDockers(t *testing.T) {
	d := start(t)
	for _, cli := range d.CLIs() {
		out := run(t, cli, "busybox", "cat", "/proc/self/status")
		for _, k := range []string{"CapEff", "CapPrm", "CapBnd"} {
			if got := statusField(t, out, k); got != dockerDefaultCaps {
				t.Errorf("%s: %s = %s, want %s", cli.Name, k, got, dockerDefaultCaps)
			}
		}
	}
}

func TestCapAddAndDropChangeWhatTheContainerMayDo(t *testing.T) {
	d := start(t)
	for _, cli := range d.CLIs() {
		if r := cli.Run("", "run", "--rm", "--network", "none", "busybox", "chown", "1", "/etc/passwd"); r.ExitCode != 0 {
			t.Errorf("%s: chown with the default set: %s", cli.Name, r)
		}
		r := cli.Run("", "run", "--rm", "--network", "none", "--cap-drop", "CHOWN", "busybox", "chown", "1", "/etc/passwd")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "Operation not permitted") {
			t.Errorf("%s: chown with --cap-drop CHOWN: %s", cli.Name, r)
		}
		// SYS_ADMIN is bit 21; without CAP_ prefix and in lower case.
		out := run(t, cli, "--cap-add", "sys_admin", "busybox", "grep", "CapEff", "/proc/self/status")
		if got := statusField(t, out, "CapEff"); got != "00000000a82425fb" {
			t.Errorf("%s: CapEff with --cap-add sys_admin = %s", cli.Name, got)
		}
		out = run(t, cli, "--cap-drop", "ALL", "--cap-add", "CAP_KILL", "busybox", "grep", "CapEff", "/proc/self/status")
		if got := statusField(t, out, "CapEff"); got != "0000000000000020" {
			t.Errorf("%s: CapEff with --cap-drop ALL --cap-add CAP_KILL = %s", cli.Name, got)
		}
		out = run(t, cli, "--cap-add", "ALL", "--cap-drop", "NET_RAW", "busybox", "grep", "CapEff", "/proc/self/status")
		want := maskHex(t, hostStatus(t, "CapBnd")) &^ (1 << 13)
		if got := maskHex(t, statusField(t, out, "CapEff")); got != want {
			t.Errorf("%s: CapEff with --cap-add ALL --cap-drop NET_RAW = %x, want %x", cli.Name, got, want)
		}
		r = cli.Run("", "run", "--rm", "--network", "none", "--cap-add", "NOPE", "busybox", "true")
		if r.ExitCode != 125 || !strings.Contains(r.Stderr, `invalid CapAdd: unknown capability: "CAP_NOPE"`) {
			t.Errorf("%s: --cap-add NOPE: %s", cli.Name, r)
		}
	}
}

func TestPrivilegedGetsTheBoundingSetDevicesAndWritableSys(t *testing.T) {
	d := start(t)
	bnd := hostStatus(t, "CapBnd")
	for _, cli := range d.CLIs() {
		out := run(t, cli, "--privileged", "busybox", "sh", "-c",
			"cat /proc/self/status; ls /dev/kmsg; grep -E ' /sys (sysfs|tmpfs)|/sys/fs/cgroup ' /proc/mounts")
		if got := statusField(t, out, "CapEff"); got != bnd {
			t.Errorf("%s: privileged CapEff = %s, want the bounding set %s", cli.Name, got, bnd)
		}
		if got := statusField(t, out, "Seccomp"); got != "0" {
			t.Errorf("%s: privileged Seccomp = %s, want 0", cli.Name, got)
		}
		if !strings.Contains(out, "/dev/kmsg") {
			t.Errorf("%s: privileged container has no host device /dev/kmsg:\n%s", cli.Name, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, " /sys") && strings.Contains(l, " ro,") {
				t.Errorf("%s: read-only in a privileged container: %s", cli.Name, l)
			}
		}
		name := "priv-exec-" + cli.Name
		if r := cli.Run("", "run", "-d", "--name", name, "--network", "none", "busybox", "sleep", "100"); r.ExitCode != 0 {
			t.Fatal(r)
		}
		r := cli.Run("", "exec", "--privileged", name, "grep", "CapEff", "/proc/self/status")
		if r.ExitCode != 0 || statusField(t, r.Stdout, "CapEff") != bnd {
			t.Errorf("%s: exec --privileged: %s", cli.Name, r)
		}
		// Masked paths are not masked: /proc/keys is the kernel's.
		out = run(t, cli, "--privileged", "busybox", "sh", "-c", "grep -c ' /proc/keys ' /proc/mounts || true")
		if strings.TrimSpace(out) != "0" {
			t.Errorf("%s: /proc/keys masked in a privileged container", cli.Name)
		}
		for _, args := range [][]string{nil, {"--security-opt", "systempaths=unconfined"}} {
			out = run(t, cli, append(args, "busybox", "sh", "-c", "grep -c ' /proc/keys ' /proc/mounts || true")...)
			if masked := strings.TrimSpace(out) != "0"; masked != (args == nil) {
				t.Errorf("%s %v: /proc/keys masked = %v", cli.Name, args, masked)
			}
		}
	}
}

func maskHex(t *testing.T, s string) uint64 {
	t.Helper()
	var v uint64
	for _, c := range s {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= uint64(c - '0')
		case c >= 'a' && c <= 'f':
			v |= uint64(c-'a') + 10
		default:
			t.Fatalf("not hex: %q", s)
		}
	}
	return v
}
