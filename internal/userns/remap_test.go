package userns

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/sys/user"
	"github.com/opencontainers/runtime-spec/specs-go"
)

func files(t *testing.T) Files {
	t.Helper()
	dir := t.TempDir()
	f := Files{
		Passwd: filepath.Join(dir, "passwd"), Group: filepath.Join(dir, "group"),
		Subuid: filepath.Join(dir, "subuid"), Subgid: filepath.Join(dir, "subgid"),
	}
	for path, body := range map[string]string{
		f.Passwd: "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\nnogroup:x:1002:4242::/:/bin/false\n",
		f.Group:  "root:x:0:\nalice:x:1000:\nbob:x:1001:\nstaff:x:50:\n",
		f.Subuid: "alice:100000:65536\n1001:300000:1000\n1001:400000:500\n",
		f.Subgid: "alice:200000:65536\nbob:300000:1500\n",
	} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestParseResolvesUserAndGroupAsDocker(t *testing.T) {
	f := files(t)
	tests := []struct {
		spec, user, group, err string
	}{
		{spec: "alice", user: "alice", group: "alice"},
		{spec: "alice:staff", user: "alice", group: "staff"},
		{spec: "1000", user: "alice", group: "alice"},
		{spec: "1000:50", user: "alice", group: "staff"},
		{spec: "bob:1000", user: "bob", group: "alice"},
		{spec: "a:b:c", err: `Invalid user/group specification in --userns-remap: "a:b:c"`},
		{spec: "nobody", err: `Error during uid lookup for "nobody"`},
		{spec: "4000", err: "Uid 4000 has no entry in /etc/passwd"},
		{spec: "1002", err: "Gid 1002 has no entry in /etc/group"},
		{spec: "nogroup", err: `Error during gid lookup for "nogroup"`},
		{spec: "alice:wheel", err: `Error during groupname lookup for "wheel"`},
		{spec: "alice:77", err: "Gid 77 has no entry in /etc/group"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			u, g, err := Parse(tt.spec, f)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse(%q) = %q, %q, %v; want error %q", tt.spec, u, g, err, tt.err)
				}
				return
			}
			if err != nil || u != tt.user || g != tt.group {
				t.Fatalf("Parse(%q) = %q, %q, %v; want %q, %q", tt.spec, u, g, err, tt.user, tt.group)
			}
		})
	}
}

func TestLoadLaysSubordinateRangesEndToEnd(t *testing.T) {
	f := files(t)
	r, err := Load("bob", "bob", f) // subuid by uid (two ranges), subgid by name
	if err != nil {
		t.Fatal(err)
	}
	wantU := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 300000, Size: 1000}, {ContainerID: 1000, HostID: 400000, Size: 500}}
	if diff := cmp.Diff(wantU, r.UIDMappings()); diff != "" {
		t.Errorf("uid mappings (-want +got):\n%s", diff)
	}
	wantG := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 300000, Size: 1500}}
	if diff := cmp.Diff(wantG, r.GIDMappings()); diff != "" {
		t.Errorf("gid mappings (-want +got):\n%s", diff)
	}
	if uid, gid := r.RootPair(); uid != 300000 || gid != 300000 {
		t.Errorf("RootPair() = %d, %d", uid, gid)
	}
	if r.User != "bob" || r.Group != "bob" {
		t.Errorf("User, Group = %q, %q", r.User, r.Group)
	}
}

func TestSetupRefusesAUserWithoutRanges(t *testing.T) {
	f := files(t)
	_, err := Setup("1002:50", f)
	if err == nil || !strings.Contains(err.Error(), `Can't create ID mappings: no subordinate ranges for user "nogroup" in `+f.Subuid) {
		t.Fatalf("Setup() error = %v", err)
	}
	r, err := Setup("root", f)
	if r != nil || err != nil {
		t.Fatalf("Setup(root) = %v, %v; want nil, nil (remapping off)", r, err)
	}
}

func TestFreeRangeSkipsTakenRanges(t *testing.T) {
	tests := []struct {
		name  string
		taken []user.SubID
		want  int64
	}{
		{"none", nil, 100000},
		{"below", []user.SubID{{SubID: 1000, Count: 500}}, 100000},
		{"at start", []user.SubID{{SubID: 100000, Count: 65536}}, 165536},
		{"overlapping end", []user.SubID{{SubID: 150000, Count: 10}}, 150010},
		{"chain, unsorted", []user.SubID{{SubID: 165536, Count: 65536}, {SubID: 100000, Count: 65536}}, 231072},
		{"gap too small", []user.SubID{{SubID: 100000, Count: 10}, {SubID: 100020, Count: 10}}, 100030},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FreeRange(tt.taken, 100000, 65536); got != tt.want {
				t.Fatalf("FreeRange() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCheckAccessNeedsSearchPermissionAbove(t *testing.T) {
	base := t.TempDir()
	for _, d := range []string{base, filepath.Dir(base)} { // the test's own dirs are 0700
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	closed := filepath.Join(base, "closed")
	if err := os.MkdirAll(filepath.Join(closed, "root"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := CheckAccess(filepath.Join(closed, "root"), 100000, 100000); err == nil || !strings.Contains(err.Error(), "restricts access to the remapped root uid/gid") {
		t.Errorf("CheckAccess(under a 0700 dir) = %v", err)
	}
	if err := os.Chmod(closed, 0o711); err != nil {
		t.Fatal(err)
	}
	if err := CheckAccess(filepath.Join(closed, "root"), 100000, 100000); err != nil {
		t.Errorf("CheckAccess(under 0711 dirs) = %v", err)
	}
}
