package network

import (
	"strings"
	"testing"
)

// Legacy links on the default bridge: the parent gets Docker's variables
// and an /etc/hosts line for the linked container, inspect shows the
// stored form, `rm --link` removes it; a stopped or unknown container
// cannot be linked. On a user network a link is a DNS alias of the parent
// only. Through tug and the docker CLI.
func TestLegacyLinks(t *testing.T) {
	d := startDaemon(t)
	d.tug("run", "-d", "--name", "db", "-e", "FOO=bar", "--expose", "5432", "--expose", "7000-7002/udp", "bb", "sleep", "60")
	dbIP := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "db")
	dbHost := d.tug("inspect", "-f", "{{.Config.Hostname}}", "db")

	d.tug("run", "-d", "--name", "web", "--link", "db:data", "bb", "sleep", "60")
	env := d.tug("exec", "web", "env")
	for _, want := range []string{
		"DATA_NAME=/web/data", "DATA_PORT=tcp://" + dbIP + ":5432", "DATA_PORT_5432_TCP_ADDR=" + dbIP,
		"DATA_PORT_7000_UDP_END=udp://" + dbIP + ":7002", "DATA_ENV_FOO=bar",
	} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("env of web: want %q in\n%s", want, env)
		}
	}
	if hosts := d.tug("exec", "web", "cat", "/etc/hosts"); !strings.Contains(hosts, dbIP+"\tdata "+dbHost+" db\n") {
		t.Errorf("/etc/hosts of web: no line for the link in\n%s", hosts)
	}
	d.tug("exec", "web", "ping", "-c1", "-W5", "data")
	if got := d.tug("inspect", "-f", "{{json .HostConfig.Links}}", "web"); got != `["/db:/web/data"]` {
		t.Errorf("HostConfig.Links = %s", got)
	}

	// docker CLI: run with a link, rm --link.
	if r := d.Docker("run", "--rm", "--link", "db", "bb", "sh", "-c", "echo $DB_NAME; grep -w db /etc/hosts"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "/") || !strings.Contains(r.Stdout, dbIP) {
		t.Errorf("docker run --link db: %s", r)
	}
	d.tug("create", "--name", "w2", "--link", "db:data", "bb", "true")
	if r := d.Docker("rm", "--link", "/w2/data"); r.ExitCode != 0 {
		t.Errorf("docker rm --link: %s", r)
	}
	if got := d.tug("inspect", "-f", "{{len .HostConfig.Links}}", "w2"); got != "0" {
		t.Errorf("links after rm --link: %s", got)
	}
	if r := d.Tug("rm", "--link", "/w2/data"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "No such container: w2/data") {
		t.Errorf("rm --link of a missing link: %s", r)
	}
	if r := d.Tug("create", "--link", "nosuch:x", "bb", "true"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "could not get container for nosuch") {
		t.Errorf("link to an unknown container: %s", r)
	}
	d.tug("create", "--name", "w3", "--link", "db:data", "bb", "true")
	d.tug("stop", "-t", "0", "db")
	if r := d.Tug("start", "w3"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "Cannot link to a non running container: /db AS /w3/data") {
		t.Errorf("start linked to a stopped container: %s", r)
	}
	d.tug("start", "db")

	// A user network: the alias resolves for the parent only.
	d.tug("network", "create", "lnet")
	t.Cleanup(func() { d.Tug("network", "rm", "lnet") })
	d.tug("network", "connect", "lnet", "db")
	dbUserIP := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.lnet.IPAddress}}", "db")
	out := d.tug("run", "--rm", "--network", "lnet", "--dns", "127.0.0.1", "--link", "db:store", "bb", "sh", "-c", "nslookup store; env")
	if !strings.Contains(out, "Address: "+dbUserIP) || strings.Contains(out, "STORE_") {
		t.Errorf("link on a user network: want store at %s and no variables:\n%s", dbUserIP, out)
	}
	if r := d.Tug("run", "--rm", "--network", "lnet", "--dns", "127.0.0.1", "bb", "nslookup", "store"); r.ExitCode == 0 {
		t.Errorf("another container resolved the link alias: %s", r)
	}
	d.tug("rm", "-f", "web", "w2", "w3", "db")
	d.tug("network", "rm", "lnet")
	d.checkNoLeaks()
}

// Links follow renames, as Docker's (kept by ID) do: inspect shows the
// names the parent and child have now, and the parent starts again with
// its renamed child, reaching it by the link's alias.
func TestLegacyLinksFollowRenames(t *testing.T) {
	d := startDaemon(t)
	d.tug("run", "-d", "--name", "db", "bb", "sleep", "60")
	d.tug("run", "-d", "--name", "web", "--link", "db:store", "bb", "sleep", "60")
	d.tug("rename", "db", "db2")
	d.tug("rename", "web", "site")
	if got := d.tug("inspect", "-f", "{{json .HostConfig.Links}}", "site"); got != `["/db2:/site/store"]` {
		t.Errorf("links after the renames = %s, want [\"/db2:/site/store\"]", got)
	}
	d.tug("stop", "-t", "0", "site")
	d.tug("start", "site")
	ip := d.tug("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", "db2")
	if out := d.tug("exec", "site", "cat", "/etc/hosts"); !strings.Contains(out, ip+"\tstore") {
		t.Errorf("the restarted parent's /etc/hosts lacks the link to %s:\n%s", ip, out)
	}
	d.tug("rm", "-f", "site", "db2")
	d.checkNoLeaks()
}
