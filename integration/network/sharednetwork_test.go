package network

import (
	"strings"
	"testing"
)

// A container joining another's network (--network container:X) shares
// X's hostname, /etc/hosts and /etc/resolv.conf as in Docker — on a user
// network that is the embedded resolver, so it resolves X's peers by
// name — and a later change to X's files is seen by both.
func TestSharedNetworkTakesTheJoinedContainersIdentity(t *testing.T) {
	d := startDaemon(t)
	d.tug("network", "create", "shared")
	d.tug("run", "-d", "--name", "peer", "--network", "shared", "bb", "sleep", "60")
	d.tug("run", "-d", "--name", "xc", "--network", "shared", "--hostname", "hx", "--add-host", "extra:10.9.9.9", "bb", "sleep", "60")
	xFiles := d.tug("exec", "xc", "cat", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf")

	d.tug("run", "-d", "--name", "jc", "--network", "container:xc", "bb", "sleep", "60")
	if got := d.tug("exec", "jc", "cat", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"); got != xFiles {
		t.Errorf("the joiner's /etc files:\n%s\nwant x's:\n%s", got, xFiles)
	}
	if got := d.tug("exec", "jc", "hostname"); got != "hx" {
		t.Errorf("hostname = %q, want the joined container's hx", got)
	}
	if got := d.tug("inspect", "-f", "{{.Config.Hostname}}", "jc"); got != "hx" {
		t.Errorf("inspect Config.Hostname = %q, want hx", got)
	}
	paths := "{{.HostnamePath}} {{.HostsPath}} {{.ResolvConfPath}}"
	if got, want := d.tug("inspect", "-f", paths, "jc"), d.tug("inspect", "-f", paths, "xc"); got != want {
		t.Errorf("inspect's /etc file paths = %q, want xc's %q", got, want)
	}
	if out := d.tug("exec", "jc", "nslookup", "peer"); !strings.Contains(out, "Address") {
		t.Errorf("nslookup peer from the joiner:\n%s", out)
	}
	d.tug("exec", "xc", "sh", "-c", "echo 10.8.8.8 late >> /etc/hosts")
	if got := d.tug("exec", "jc", "cat", "/etc/hosts"); !strings.Contains(got, "10.8.8.8 late") {
		t.Errorf("x's later /etc/hosts line is not seen by the joiner:\n%s", got)
	}
	d.tug("rm", "-f", "jc", "xc", "peer")
	d.tug("network", "rm", "shared")
	d.checkNoLeaks()
}

// What the joined container gives cannot be named by the joiner: each is
// refused with Docker's text and exit status 125, and nothing is created.
func TestSharedNetworkRefusesItsOwnHostnameDNSHostsAndPorts(t *testing.T) {
	d := startDaemon(t)
	d.tug("run", "-d", "--name", "xc", "bb", "sleep", "60")
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--hostname", "h"}, "conflicting options: hostname and the network mode"},
		{[]string{"--dns", "127.0.0.1"}, "conflicting options: dns and the network mode"},
		{[]string{"--add-host", "a:127.0.0.1"}, "conflicting options: custom host-to-IP mapping and the network mode"},
		{[]string{"--expose", "80"}, "conflicting options: port exposing and the container type network mode"},
		{[]string{"-p", "8080:80"}, "conflicting options: port publishing and the container type network mode"},
	} {
		args := append(append([]string{"run", "--rm", "--network", "container:xc"}, tc.flags...), "bb", "true")
		r := d.Tug(args...)
		if r.ExitCode != 125 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("tug %s: exit %d, stderr %q; want 125 and %q", strings.Join(args, " "), r.ExitCode, r.Stderr, tc.want)
		}
	}
	if got := d.tug("ps", "-aq"); strings.Count(got, "\n") != 0 {
		t.Errorf("containers after the refused runs:\n%s\nwant only x", got)
	}
	d.tug("rm", "-f", "xc")
	d.checkNoLeaks()
}
