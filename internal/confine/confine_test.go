package confine

import (
	"slices"
	"strings"
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/oci"
)

// vmBounding is this VM's bounding set: everything but CAP_SYS_RESOURCE.
var vmBounding = slices.DeleteFunc(slices.Clone(oci.AllCapabilities), func(c string) bool { return c == "CAP_SYS_RESOURCE" })

func TestCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name       string
		add, drop  []string
		privileged bool
		want       []string // nil: the default set
		wantDelta  func([]string) []string
		err        string
	}{
		{name: "default", want: sorted(DefaultCapabilities)},
		{name: "drop lower case without prefix", drop: []string{"chown"}, want: without(sorted(DefaultCapabilities), "CAP_CHOWN")},
		{name: "add with prefix", add: []string{"CAP_SYS_ADMIN"}, want: sorted(append(slices.Clone(DefaultCapabilities), "CAP_SYS_ADMIN"))},
		{name: "drop ALL add one", add: []string{"kill"}, drop: []string{"ALL"}, want: []string{"CAP_KILL"}},
		{name: "add ALL drop one", add: []string{"all"}, drop: []string{"NET_RAW"}, want: without(vmBounding, "CAP_NET_RAW")},
		{name: "privileged is the bounding set", privileged: true, drop: []string{"ALL"}, want: vmBounding},
		{name: "unknown", add: []string{"FOO"}, err: `invalid CapAdd: unknown capability: "CAP_FOO"`},
		{name: "outside the bounding set", drop: []string{"SYS_RESOURCE"}, err: `invalid CapDrop: capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Capabilities(tc.add, tc.drop, tc.privileged, vmBounding)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("Capabilities() = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func sorted(caps []string) []string {
	var out []string
	for _, c := range oci.AllCapabilities {
		if slices.Contains(caps, c) {
			out = append(out, c)
		}
	}
	return out
}

func without(caps []string, c string) []string {
	return slices.DeleteFunc(slices.Clone(caps), func(x string) bool { return x == c })
}

func TestCapsFromMask(t *testing.T) {
	if got := capsFromMask(0xa80425fb); !slices.Equal(got, sorted(DefaultCapabilities)) {
		t.Errorf("capsFromMask(Docker's default) = %v", got)
	}
	if got := capsFromMask(0x1fffeffffff); !slices.Equal(got, vmBounding) {
		t.Errorf("capsFromMask(this VM's CapBnd) = %v", got)
	}
}

func TestSysctlNamespacing(t *testing.T) {
	for _, tc := range []struct {
		key string
		ns  sharedNS
		err string
	}{
		{key: "net.ipv4.ip_forward"},
		{key: "kernel.shmmax"},
		{key: "kernel.msgmnb"},
		{key: "fs.mqueue.msg_max"},
		{key: "net.core.somaxconn", ns: sharedNS{hostNet: true}, err: "not allowed in host network namespace"},
		{key: "kernel.sem", ns: sharedNS{hostIPC: true}, err: "not allowed in host IPC namespace"},
		{key: "kernel.panic", err: `sysctl "kernel.panic" is not in a separate kernel namespace`},
		{key: "vm.swappiness", err: "is not in a separate kernel namespace"},
		{key: "kernel.hostname", err: "conflicts with the OCI"},
	} {
		err := validateSysctl(tc.key, tc.ns)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("validateSysctl(%s, %+v) = %v, want %q", tc.key, tc.ns, err, tc.err)
		}
	}
}

func TestDevices(t *testing.T) {
	devs, err := Devices([]apicontainer.DeviceMapping{{PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "rw"}})
	if err != nil || len(devs) != 1 {
		t.Fatalf("Devices(/dev/null) = %v, %v", devs, err)
	}
	d := devs[0]
	if d.Node.Path != "/dev/mynull" || d.Node.Type != "c" || d.Node.Major != 1 || d.Node.Minor != 3 || d.Rule.Access != "rw" || *d.Rule.Major != 1 {
		t.Errorf("device = %+v, rule %+v", d.Node, d.Rule)
	}
	for _, tc := range []struct {
		m   apicontainer.DeviceMapping
		err string
	}{
		{apicontainer.DeviceMapping{PathOnHost: "/dev/nope", PathInContainer: "/dev/nope"}, `error gathering device information while adding custom device "/dev/nope": no such file or directory`},
		{apicontainer.DeviceMapping{PathOnHost: "/etc/passwd", PathInContainer: "/x"}, "not a device node"},
		{apicontainer.DeviceMapping{PathOnHost: "/dev/null", PathInContainer: "/x", CgroupPermissions: "rwx"}, "invalid device mode: rwx"},
		{apicontainer.DeviceMapping{PathOnHost: "/dev/null", PathInContainer: "rel"}, "is not an absolute path"},
	} {
		if _, err := Devices([]apicontainer.DeviceMapping{tc.m}); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Devices(%+v) = %v, want %q", tc.m, err, tc.err)
		}
	}
}

func TestDeviceCgroupRule(t *testing.T) {
	r, err := DeviceCgroupRule("c 1:3 rwm")
	if err != nil || r.Type != "c" || *r.Major != 1 || *r.Minor != 3 || r.Access != "rwm" || !r.Allow {
		t.Errorf("c 1:3 rwm = %+v, %v", r, err)
	}
	r, err = DeviceCgroupRule("a *:* r")
	if err != nil || r.Major != nil || r.Minor != nil || r.Type != "a" {
		t.Errorf("a *:* r = %+v, %v", r, err)
	}
	for _, bad := range []string{"x 1:3 rwm", "c 1 rwm", "c 1:3 rwx", "c 1:3"} {
		if _, err := DeviceCgroupRule(bad); err == nil || !strings.Contains(err.Error(), "invalid device cgroup rule format") {
			t.Errorf("DeviceCgroupRule(%q) = %v", bad, err)
		}
	}
}

func TestParseSecurityOptions(t *testing.T) {
	noLSM := &Host{}
	for _, tc := range []struct {
		opts []string
		want SecurityOptions
		err  string
	}{
		{opts: []string{"no-new-privileges"}, want: SecurityOptions{NoNewPrivileges: true}},
		{opts: []string{"no-new-privileges=false"}, want: SecurityOptions{}},
		{opts: []string{"seccomp=unconfined", "apparmor=unconfined", "label=disable"}, want: SecurityOptions{Seccomp: "unconfined"}},
		{opts: []string{"seccomp:builtin"}, want: SecurityOptions{Seccomp: "builtin"}},
		{opts: []string{"writable-cgroups=true"}, want: SecurityOptions{WritableCgroups: true}},
		{opts: []string{"bogus"}, err: `invalid --security-opt 1: "bogus"`},
		{opts: []string{"foo=bar"}, err: `invalid --security-opt 2: "foo=bar"`},
		{opts: []string{"no-new-privileges=maybe"}, err: `invalid --security-opt 2: "no-new-privileges=maybe"`},
		{opts: []string{"apparmor=docker-default"}, err: "AppArmor is not enabled on this host"},
		{opts: []string{"label=level:s0"}, err: "SELinux is not enabled on this host"},
	} {
		got, err := ParseSecurityOptions(tc.opts, noLSM)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSecurityOptions(%v) = %v, want %q", tc.opts, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSecurityOptions(%v) = %+v, %v; want %+v", tc.opts, got, err, tc.want)
		}
	}
}

func TestSeccompProfileSelection(t *testing.T) {
	host := &Host{Seccomp: true}
	spec := func(caps ...string) *specs.Spec {
		return &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
	}
	allows := func(p *specs.LinuxSeccomp, name string) bool {
		for _, sc := range p.Syscalls {
			if slices.Contains(sc.Names, name) && sc.Action == specs.ActAllow && len(sc.Args) == 0 {
				return true
			}
		}
		return false
	}
	def, err := Seccomp("", false, host, spec(DefaultCapabilities...))
	if err != nil || def == nil || def.DefaultAction != specs.ActErrno {
		t.Fatalf("default profile = %v, %v", def, err)
	}
	if allows(def, "unshare") {
		t.Error("the default profile allows unshare without CAP_SYS_ADMIN")
	}
	admin, _ := Seccomp("builtin", false, host, spec(append(slices.Clone(DefaultCapabilities), "CAP_SYS_ADMIN")...))
	if !allows(admin, "unshare") {
		t.Error("the default profile refuses unshare with CAP_SYS_ADMIN")
	}
	for _, tc := range []struct {
		profile    string
		privileged bool
	}{{"unconfined", false}, {"", true}, {`{"defaultAction":"SCMP_ACT_ERRNO"}`, true}} {
		if p, err := Seccomp(tc.profile, tc.privileged, host, spec()); p != nil || err != nil {
			t.Errorf("Seccomp(%q, privileged %v) = %v, %v; want no filter", tc.profile, tc.privileged, p, err)
		}
	}
	custom, err := Seccomp(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}`, false, host, spec())
	if err != nil || custom.DefaultAction != specs.ActAllow || len(custom.Syscalls) != 1 {
		t.Errorf("custom profile = %+v, %v", custom, err)
	}
	if _, err := Seccomp(`{"defaultAction": 7}`, false, host, spec()); err == nil || !strings.Contains(err.Error(), "Decoding seccomp profile failed") {
		t.Errorf("bad profile: %v", err)
	}
	if _, err := Seccomp(`{"defaultAction":"SCMP_ACT_ALLOW"}`, false, &Host{}, spec()); err == nil || !strings.Contains(err.Error(), "seccomp is not enabled in your kernel") {
		t.Errorf("custom profile without kernel seccomp: %v", err)
	}
}

func TestValidateFillsDefaultsAndRefuses(t *testing.T) {
	host := &Host{Bounding: vmBounding, Seccomp: true}
	hc := &apicontainer.HostConfig{}
	if err := Validate(hc, host); err != nil || hc.IpcMode != "private" || hc.CgroupnsMode != "host" {
		t.Errorf("Validate(empty) = %v, IpcMode %q, CgroupnsMode %q", err, hc.IpcMode, hc.CgroupnsMode)
	}
	yes := true
	for _, tc := range []struct {
		hc  apicontainer.HostConfig
		err string
	}{
		{apicontainer.HostConfig{Init: &yes}, "tug-init"},
		{apicontainer.HostConfig{IpcMode: "bogus"}, "invalid IPC mode: bogus"},
		{apicontainer.HostConfig{IpcMode: "container:"}, "invalid IPC mode"},
		{apicontainer.HostConfig{PidMode: "bogus"}, "invalid PID mode: bogus"},
		{apicontainer.HostConfig{UTSMode: "private"}, "invalid UTS mode: private"},
		{apicontainer.HostConfig{UTSMode: "container:"}, "invalid UTS mode: container:"},
		{apicontainer.HostConfig{CgroupnsMode: "bogus"}, "invalid cgroup namespace mode: bogus"},
		{apicontainer.HostConfig{Cgroup: "container:x"}, "not implemented"},
		{apicontainer.HostConfig{Resources: apicontainer.Resources{DeviceRequests: []apicontainer.DeviceRequest{{Capabilities: [][]string{{"gpu"}}}}}}, "not implemented"},
		{apicontainer.HostConfig{NetworkMode: "host", Sysctls: map[string]string{"net.ipv4.ip_forward": "1"}}, "host network namespace"},
		{apicontainer.HostConfig{SecurityOpt: []string{"seccomp={"}}, "Decoding seccomp profile failed"},
	} {
		if err := Validate(&tc.hc, host); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.hc, err, tc.err)
		}
	}
}
