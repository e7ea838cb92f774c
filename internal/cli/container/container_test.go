package container

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/pflag"
)

func TestRunErrorCode(t *testing.T) {
	tests := []struct {
		started bool
		msg     string
		want    int
	}{
		{true, `Error response from daemon: failed to create shim task: exec: "nosuchcmd": executable file not found in $PATH: unknown`, 127},
		{true, `Error response from daemon: exec: "/x": stat /x: no such file or directory`, 127},
		{true, `Error response from daemon: exec: "/etc/passwd": permission denied: unknown`, 126},
		{true, `Error response from daemon: exec: "/etc": is a directory`, 126},
		{true, `Error response from daemon: No such image: nosuch:latest`, 125},
		{true, `Cannot connect to the tug daemon`, 125},
		{false, `Error response from daemon: error gathering device information while adding custom device "/dev/nope": no such file or directory`, 125},
		{false, `Error response from daemon: open /x/seccomp.json: permission denied`, 125},
		{false, `Error response from daemon: No such image: nosuch:latest`, 125},
	}
	for _, tt := range tests {
		if got := RunErrorCode(tt.started, tt.msg); got != tt.want {
			t.Errorf("RunErrorCode(%v, %q) = %d, want %d", tt.started, tt.msg, got, tt.want)
		}
	}
}

func TestPsFormat(t *testing.T) {
	tests := []struct {
		user        string
		quiet, size bool
		want        string
	}{
		{"", false, false, "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"},
		{"table", false, true, "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}\t{{.Size}}"},
		{"", true, false, "{{.ID}}"},
		{"json", false, false, "{{json .}}"},
		{"{{.Names}}", false, false, "{{.Names}}"},
	}
	for _, tt := range tests {
		if got := PsFormat(tt.user, tt.quiet, tt.size); got != tt.want {
			t.Errorf("PsFormat(%q, %v, %v) = %q, want %q", tt.user, tt.quiet, tt.size, got, tt.want)
		}
	}
}

func parseArgs(t *testing.T, args ...string) (*containerConfig, error) {
	t.Helper()
	var o containerOptions
	flags := pflag.NewFlagSet("run", pflag.ContinueOnError)
	addContainerFlags(flags, &o)
	if err := flags.Parse(args); err != nil {
		t.Fatalf("Parse(%v) = %v", args, err)
	}
	rest := flags.Args()
	o.image, o.args = rest[0], rest[1:]
	lookup := func(k string) (string, bool) {
		if k == "SET" {
			return "fromcli", true
		}
		return "", false
	}
	return parse(flags, &o, lookup)
}

func TestParse(t *testing.T) {
	cfg, err := parseArgs(t, "-i", "-e", "A=1", "-e", "SET", "-e", "UNSET", "-l", "k=v", "-w", "/w", "-u", "1:2",
		"-h", "hn", "--network", "none", "--rm", "--stop-timeout", "3", "--entrypoint", "", "--init",
		"busybox", "echo", "hi")
	if err != nil {
		t.Fatal(err)
	}
	c, hc := cfg.Config, cfg.HostConfig
	if d := cmp.Diff([]string{"A=1", "SET=fromcli"}, c.Env); d != "" {
		t.Errorf("Env mismatch:\n%s", d)
	}
	if d := cmp.Diff([]string{""}, c.Entrypoint); d != "" {
		t.Errorf("Entrypoint mismatch:\n%s", d)
	}
	if d := cmp.Diff([]string{"echo", "hi"}, c.Cmd); d != "" {
		t.Errorf("Cmd mismatch:\n%s", d)
	}
	if !c.OpenStdin || !c.AttachStdin || !c.StdinOnce || !c.AttachStdout || !c.AttachStderr {
		t.Errorf("stdio flags = %+v", c)
	}
	if c.WorkingDir != "/w" || c.User != "1:2" || c.Hostname != "hn" || c.Labels["k"] != "v" || c.Image != "busybox" {
		t.Errorf("config = %+v", c)
	}
	if c.StopTimeout == nil || *c.StopTimeout != 3 {
		t.Errorf("StopTimeout = %v", c.StopTimeout)
	}
	if hc.NetworkMode != "none" || !hc.AutoRemove || hc.Init == nil || !*hc.Init {
		t.Errorf("hostconfig = %+v", hc)
	}

	cfg, err = parseArgs(t, "-a", "stderr", "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.AttachStdout || !cfg.Config.AttachStderr || cfg.Config.Entrypoint != nil || cfg.HostConfig.NetworkMode != "default" || cfg.HostConfig.Init != nil {
		t.Errorf("-a stderr config = %+v %+v", cfg.Config, cfg.HostConfig)
	}
	if cfg.HostConfig.RestartPolicy != (container.RestartPolicy{Name: "no"}) {
		t.Errorf("RestartPolicy = %+v", cfg.HostConfig.RestartPolicy)
	}

	for _, bad := range [][]string{
		{"--pull", "sometimes", "busybox"},
		{"-a", "stdfoo", "busybox"},
		{"--env-file", "/nonexistent/env", "busybox"},
		{"--restart", "always", "--rm", "busybox"},
	} {
		if _, err := parseArgs(t, bad...); err == nil {
			t.Errorf("parse(%v) = nil, want error", bad)
		}
	}
}
