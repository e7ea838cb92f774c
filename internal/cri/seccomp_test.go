package cri

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The CRI's seccomp profiles map to the engine's security option: none is
// unconfined, RuntimeDefault the default profile, Localhost the file's JSON.
func TestSeccompOptFollowsTheCRI(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "block-chmod.json")
	const body = `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO"}]}`
	if err := os.WriteFile(profile, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		p       *runtimeapi.SecurityProfile
		legacy  string
		want    string
		wantErr string
	}{
		{name: "nil is unconfined", want: "seccomp=unconfined"},
		{name: "runtime default", p: &runtimeapi.SecurityProfile{}, want: ""},
		{name: "unconfined", p: &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}, want: "seccomp=unconfined"},
		{name: "localhost", p: &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: profile}, want: "seccomp=" + body},
		{name: "localhost relative", p: &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: "x.json"}, wantErr: "not an absolute path"},
		{name: "localhost missing", p: &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: "/nonexistent.json"}, wantErr: "no such file"},
		{name: "legacy path", legacy: "localhost/x.json", wantErr: "seccomp_profile_path"},
	} {
		got, err := seccompOpt(tc.p, tc.legacy, "linux.security_context")
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err = %v, want one saying %q", tc.name, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("%s: seccompOpt = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}
