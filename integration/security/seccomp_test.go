package security

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// unshare(CLONE_NEWUSER) needs no capability, but Docker's default profile
// allows unshare only with CAP_SYS_ADMIN: EPERM by default, success when
// unconfined.
func TestDefaultSeccompProfileBlocksAndUnconfinedAllows(t *testing.T) {
	d := start(t)
	for _, cli := range d.CLIs() {
		out := run(t, cli, "busybox", "grep", "Seccomp", "/proc/self/status")
		if got := statusField(t, out, "Seccomp"); got != "2" {
			t.Errorf("%s: Seccomp = %s, want 2 (filter)", cli.Name, got)
		}
		r := cli.Run("", "run", "--rm", "--network", "none", "busybox", "unshare", "-U", "true")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "Operation not permitted") {
			t.Errorf("%s: unshare -U under the default profile: %s", cli.Name, r)
		}
		run(t, cli, "--security-opt", "seccomp=unconfined", "busybox", "unshare", "-U", "true")
		out = run(t, cli, "--security-opt", "seccomp=unconfined", "busybox", "grep", "Seccomp", "/proc/self/status")
		if got := statusField(t, out, "Seccomp"); got != "0" {
			t.Errorf("%s: unconfined Seccomp = %s, want 0", cli.Name, got)
		}
		// The profile's capability-dependent rules: with SYS_ADMIN unshare is allowed.
		run(t, cli, "--cap-add", "SYS_ADMIN", "busybox", "unshare", "-U", "true")
	}
}

func TestCustomSeccompProfileFromAFile(t *testing.T) {
	d := start(t)
	dir := t.TempDir()
	profile := filepath.Join(dir, "nomkdir.json")
	err := os.WriteFile(profile, []byte(`{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"defaultAction": 7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cli := range d.CLIs() {
		r := cli.Run("", "run", "--rm", "--network", "none", "--security-opt", "seccomp="+profile, "busybox", "mkdir", "/tmp/x")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "Operation not permitted") {
			t.Errorf("%s: mkdir under a profile that denies it: %s", cli.Name, r)
		}
		// unshare -U is allowed by this profile.
		run(t, cli, "--security-opt", "seccomp="+profile, "busybox", "unshare", "-U", "true")
		r = cli.Run("", "run", "--rm", "--network", "none", "--security-opt", "seccomp="+bad, "busybox", "true")
		if r.ExitCode != 125 || !strings.Contains(r.Stderr, "Decoding seccomp profile failed") {
			t.Errorf("%s: a profile that does not parse: %s", cli.Name, r)
		}
	}
}

func TestInfoListsSeccompAndSecurityOptsThroughTheSocket(t *testing.T) {
	d := start(t)
	ctx := context.Background()
	info, err := d.Client.Info(ctx, client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(info.Info.SecurityOptions, "name=seccomp,profile=builtin") {
		t.Errorf("SecurityOptions = %v, want name=seccomp,profile=builtin", info.Info.SecurityOptions)
	}
	for _, o := range info.Info.SecurityOptions {
		if strings.Contains(o, "apparmor") || strings.Contains(o, "selinux") {
			t.Errorf("SecurityOptions lists %q, which tug does not apply", o)
		}
	}
	// Through the socket: refused fields name themselves, nothing is created.
	for _, tc := range []struct {
		hc   container.HostConfig
		want string
	}{
		{container.HostConfig{SecurityOpt: []string{"apparmor=docker-default"}}, "apparmor"},
		{container.HostConfig{SecurityOpt: []string{"label=type:svirt_t"}}, "SELinux"},
		{container.HostConfig{SecurityOpt: []string{"bogus=1"}}, `invalid --security-opt 2: "bogus=1"`},
		{container.HostConfig{CapDrop: []string{"CAP_NOPE"}}, `invalid CapDrop: unknown capability: "CAP_NOPE"`},
		{container.HostConfig{UsernsMode: "private"}, "invalid USER mode: private"},
		{container.HostConfig{Sysctls: map[string]string{"kernel.panic": "1"}}, `sysctl "kernel.panic" is not in a separate kernel namespace`},
		{container.HostConfig{Resources: container.Resources{DeviceCgroupRules: []string{"x 1:2 rwm"}}}, "invalid device cgroup rule format"},
		{container.HostConfig{Cgroup: "container:x"}, "--cgroup"},
	} {
		_, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config: &container.Config{Image: "busybox", Cmd: []string{"true"}}, HostConfig: &tc.hc,
		})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("create with %+v: %v, want an error containing %q", tc.hc, err, tc.want)
		}
	}
	list, err := d.Client.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("refused creates left containers: %v, %v", list.Items, err)
	}
	// Accepted where they change nothing on this host.
	resp, err := d.Client.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: "busybox", Cmd: []string{"grep", "-E", "CapEff|NoNewPrivs", "/proc/self/status"}},
		HostConfig: &container.HostConfig{
			NetworkMode: "none", CapDrop: []string{"ALL"}, SecurityOpt: []string{"apparmor=unconfined", "label=disable", "no-new-privileges"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := d.Tug("start", "-a", resp.ID)
	if r.ExitCode != 0 || statusField(t, r.Stdout, "CapEff") != "0000000000000000" || statusField(t, r.Stdout, "NoNewPrivs") != "1" {
		t.Errorf("start -a: %s", r)
	}
}

// TestSeccompArgumentFiltersAreEnforced: a profile's rules on a syscall's
// arguments hold in the filter tugd compiles once and the container's init
// loads (libct.PrecompileSeccomp): personality(PER_LINUX32) is refused by
// a rule on its first argument, other personalities pass, and the
// container's bundle holds the precompiled filter the init loaded.
func TestSeccompArgumentFiltersAreEnforced(t *testing.T) {
	d := start(t)
	profile := filepath.Join(t.TempDir(), "nolinux32.json")
	err := os.WriteFile(profile, []byte(`{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
			"args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for _, cli := range d.CLIs() {
		r := cli.Run("", "run", "--rm", "--network", "none", "--security-opt", "seccomp="+profile, "busybox", "linux32", "true")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "Operation not permitted") {
			t.Errorf("%s: linux32 (personality 8) under a profile that denies personality(8): %s", cli.Name, r)
		}
		run(t, cli, "--security-opt", "seccomp="+profile, "busybox", "linux64", "true") // personality(0)
		run(t, cli, "busybox", "linux32", "true")                                       // Docker's profile allows PER_LINUX32
	}
	id := strings.TrimSpace(d.Tug("run", "-d", "--network", "none", "--security-opt", "seccomp="+profile, "busybox", "sleep", "30").Stdout)
	defer d.Tug("rm", "-f", id)
	if _, err := os.Stat(filepath.Join(d.Root, "containers", id, "seccomp.bpf.json")); err != nil {
		t.Errorf("no precompiled filter in the container's bundle: %v", err)
	}
	if got := d.Tug("exec", id, "linux32", "true"); got.ExitCode == 0 {
		t.Errorf("exec linux32 in a container whose profile denies personality(8): %s", got)
	}
}
