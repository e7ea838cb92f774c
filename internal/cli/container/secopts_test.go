package container

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/moby/api/types/container"
)

func TestParseDevice(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want container.DeviceMapping
		err  bool
	}{
		{in: "/dev/fuse", want: container.DeviceMapping{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm"}},
		{in: "/dev/null:/dev/mynull", want: container.DeviceMapping{PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "rwm"}},
		{in: "/dev/null:r", want: container.DeviceMapping{PathOnHost: "/dev/null", PathInContainer: "/dev/null", CgroupPermissions: "r"}},
		{in: "/dev/sda:/dev/xvdc:rw", want: container.DeviceMapping{PathOnHost: "/dev/sda", PathInContainer: "/dev/xvdc", CgroupPermissions: "rw"}},
		{in: "a:b:c:d", err: true},
	} {
		got, err := parseDevice(tc.in)
		if tc.err != (err != nil) || !tc.err && got != tc.want {
			t.Errorf("parseDevice(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestSecurityFlagsFillHostConfig(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(profile, []byte("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := &securityOptions{
		capAdd: []string{"NET_ADMIN"}, sysctls: []string{"net.ipv4.ip_forward=1"}, ipc: "host",
		securityOpt: []string{"no-new-privileges", "seccomp=" + profile, "systempaths=unconfined"},
	}
	hc := &container.HostConfig{}
	if err := applySecurityOptions(o, hc); err != nil {
		t.Fatal(err)
	}
	if len(hc.SecurityOpt) != 2 || hc.SecurityOpt[1] != `seccomp={"defaultAction":"SCMP_ACT_ALLOW"}` {
		t.Errorf("SecurityOpt = %q", hc.SecurityOpt)
	}
	if hc.MaskedPaths == nil || len(hc.MaskedPaths) != 0 || hc.ReadonlyPaths == nil {
		t.Errorf("systempaths=unconfined: MaskedPaths %v, ReadonlyPaths %v", hc.MaskedPaths, hc.ReadonlyPaths)
	}
	if hc.Sysctls["net.ipv4.ip_forward"] != "1" || hc.IpcMode != "host" || hc.CapAdd[0] != "NET_ADMIN" {
		t.Errorf("HostConfig = %+v", hc)
	}
	for _, bad := range [][]string{{"seccomp="}, {"seccomp=/nonexistent.json"}, {"systempaths=x"}} {
		if err := applySecurityOptions(&securityOptions{securityOpt: bad}, &container.HostConfig{}); err == nil {
			t.Errorf("--security-opt %v accepted", bad)
		}
	}
}
