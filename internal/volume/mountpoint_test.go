package volume

import (
	"errors"
	"strings"
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/google/go-cmp/cmp"

	"github.com/tug-project/tug/internal/errdefs"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		spec string
		want MountPoint
		err  string
	}{
		{spec: "/data", want: MountPoint{Type: mount.TypeVolume, Destination: "/data", RW: true, Anonymous: true, CopyData: true, Driver: "local"}},
		{spec: "db:/var/lib/db", want: MountPoint{Type: mount.TypeVolume, Name: "db", Destination: "/var/lib/db", RW: true, Mode: "z", CopyData: true, Driver: "local"}},
		{spec: "db:/d:ro,nocopy", want: MountPoint{Type: mount.TypeVolume, Name: "db", Destination: "/d", Mode: "ro,nocopy", Driver: "local"}},
		{spec: "/srv/data/:/data/:ro", want: MountPoint{Type: mount.TypeBind, Source: "/srv/data", Destination: "/data", Mode: "ro", Propagation: "rprivate", CreateSource: true}},
		{spec: "/a:/b:rw,Z,rslave", want: MountPoint{Type: mount.TypeBind, Source: "/a", Destination: "/b", RW: true, Mode: "rw,Z,rslave", Propagation: "rslave", CreateSource: true}},
		{spec: "a:/b", err: `"a" includes invalid characters for a local volume name`},
		{spec: "-x:/b", err: "includes invalid characters"},
		{spec: "my vol:/b", err: "includes invalid characters"},
		{spec: "/a:relative", err: "invalid mount path: 'relative' mount path must be absolute"},
		{spec: "relative", err: "mount path must be absolute"},
		{spec: "/a:/", err: "destination can't be '/'"},
		{spec: "/a:/b:ro,rw", err: "invalid mode: ro,rw"},
		{spec: "/a:/b:bogus", err: "invalid mode: bogus"},
		{spec: "/a:/b:nocopy", err: "invalid mode: nocopy"},
		{spec: "vol:/b:rshared", err: "field BindOptions must not be specified"},
		{spec: "/a:/b:ro:x", err: "invalid volume specification"},
		{spec: ":/b", err: "invalid volume specification"},
	}
	for _, tt := range tests {
		got, err := ParseSpec(tt.spec)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, errdefs.ErrInvalidParameter) {
				t.Errorf("ParseSpec(%q) = %+v, %v; want invalid parameter %q", tt.spec, got, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", tt.spec, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseSpec(%q) (-want +got):\n%s", tt.spec, diff)
		}
	}
}

func TestFromAPI(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		in   mount.Mount
		want MountPoint
		err  string
	}{
		{name: "bind", in: mount.Mount{Type: "bind", Source: dir, Target: "/x", ReadOnly: true},
			want: MountPoint{Type: "bind", Source: dir, Destination: "/x", Propagation: "rprivate"}},
		{name: "bind missing source", in: mount.Mount{Type: "bind", Source: dir + "/nope", Target: "/x"},
			err: `invalid mount config for type "bind": bind source path does not exist: ` + dir + "/nope"},
		{name: "bind no source", in: mount.Mount{Type: "bind", Target: "/x"}, err: "field Source must not be empty"},
		{name: "bind propagation", in: mount.Mount{Type: "bind", Source: dir, Target: "/x", BindOptions: &mount.BindOptions{Propagation: "rshared", NonRecursive: true}},
			want: MountPoint{Type: "bind", Source: dir, Destination: "/x", RW: true, Propagation: "rshared", NonRecursive: true}},
		{name: "bind recursive read-only", in: mount.Mount{Type: "bind", Source: dir, Target: "/x", ReadOnly: true, BindOptions: &mount.BindOptions{ReadOnlyForceRecursive: true}},
			want: MountPoint{Type: "bind", Source: dir, Destination: "/x", Propagation: "rprivate", RecursiveRO: true}},
		{name: "bind recursive read-only needs read-only", in: mount.Mount{Type: "bind", Source: dir, Target: "/x", BindOptions: &mount.BindOptions{ReadOnlyForceRecursive: true}},
			err: `invalid mount config for type "bind": option 'ReadOnlyForceRecursive' requires 'ReadOnly' to be set`},
		{name: "bind recursive read-only needs rprivate", in: mount.Mount{Type: "bind", Source: dir, Target: "/x", ReadOnly: true, BindOptions: &mount.BindOptions{ReadOnlyForceRecursive: true, Propagation: "rslave"}},
			err: "requires 'BindOptions.Propagation' to be 'rprivate'"},
		{name: "bind read-only non-recursive", in: mount.Mount{Type: "bind", Source: dir, Target: "/x", ReadOnly: true, BindOptions: &mount.BindOptions{ReadOnlyNonRecursive: true}},
			err: "ReadOnlyNonRecursive is not supported by tug"},
		{name: "bind bad propagation", in: mount.Mount{Type: "bind", Source: dir, Target: "/x", BindOptions: &mount.BindOptions{Propagation: "weird"}}, err: "invalid propagation mode"},
		{name: "bind with volume options", in: mount.Mount{Type: "bind", Source: dir, Target: "/x", VolumeOptions: &mount.VolumeOptions{}}, err: "field VolumeOptions must not be specified"},
		{name: "volume", in: mount.Mount{Type: "volume", Source: "v1", Target: "/x", VolumeOptions: &mount.VolumeOptions{NoCopy: true, Labels: map[string]string{"a": "b"}}},
			want: MountPoint{Type: "volume", Name: "v1", Destination: "/x", RW: true, Driver: "local", Labels: map[string]string{"a": "b"}}},
		{name: "anonymous volume", in: mount.Mount{Type: "volume", Target: "/x"},
			want: MountPoint{Type: "volume", Destination: "/x", RW: true, Driver: "local", CopyData: true, Anonymous: true}},
		{name: "volume bad name", in: mount.Mount{Type: "volume", Source: "a/b", Target: "/x"}, err: "includes invalid characters"},
		{name: "volume other driver", in: mount.Mount{Type: "volume", Source: "vv", Target: "/x", VolumeOptions: &mount.VolumeOptions{DriverConfig: &mount.Driver{Name: "nfs"}}},
			err: `error looking up volume plugin nfs: plugin "nfs" not found`},
		{name: "volume bad option", in: mount.Mount{Type: "volume", Source: "vv", Target: "/x", VolumeOptions: &mount.VolumeOptions{DriverConfig: &mount.Driver{Options: map[string]string{"x": "y"}}}},
			err: `invalid option: "x"`},
		{name: "volume with bind options", in: mount.Mount{Type: "volume", Target: "/x", BindOptions: &mount.BindOptions{}}, err: "field BindOptions must not be specified"},
		{name: "tmpfs", in: mount.Mount{Type: "tmpfs", Target: "/t", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20, Mode: 0o1777}},
			want: MountPoint{Type: "tmpfs", Destination: "/t", RW: true, TmpfsOptions: "size=1048576,mode=1777"}},
		{name: "tmpfs source", in: mount.Mount{Type: "tmpfs", Source: "x", Target: "/t"}, err: "field Source must not be specified"},
		{name: "unknown type", in: mount.Mount{Type: "weird", Target: "/t"}, err: `invalid mount config for type "weird": mount type not supported`},
		{name: "image type", in: mount.Mount{Type: "image", Source: "bb", Target: "/t"}, err: "mount type not supported"},
		{name: "no target", in: mount.Mount{Type: "tmpfs"}, err: "field Target must not be empty"},
		{name: "relative target", in: mount.Mount{Type: "tmpfs", Target: "t"}, err: "mount path must be absolute"},
	}
	for _, tt := range tests {
		got, err := FromAPI(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: FromAPI = %+v, %v; want %q", tt.name, got, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: FromAPI: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: FromAPI (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestPlanPrecedenceAndDuplicates(t *testing.T) {
	from := func(ref string) ([]MountPoint, error) {
		return []MountPoint{
			{Type: "volume", Name: "shared", Destination: "/shared", RW: true, Anonymous: true},
			{Type: "volume", Name: "over", Destination: "/over", RW: true},
		}, nil
	}
	hc := &apicontainer.HostConfig{
		VolumesFrom: []string{"other:ro"},
		Binds:       []string{"named:/over", "/host:/a/b"},
		Mounts:      []mount.Mount{{Type: "tmpfs", Target: "/t"}},
		Tmpfs:       map[string]string{"/img2": ""},
	}
	got, err := Plan(Request{HostConfig: hc, Volumes: map[string]struct{}{"/img": {}, "/over": {}, "/img2": {}}, From: from})
	if err != nil {
		t.Fatal(err)
	}
	var dsts []string
	for _, m := range got {
		dsts = append(dsts, m.Destination+"="+string(m.Type)+":"+m.Name)
	}
	want := []string{"/img=volume:", "/over=volume:named", "/shared=volume:shared", "/t=tmpfs:", "/a/b=bind:"}
	if diff := cmp.Diff(want, dsts); diff != "" {
		t.Fatalf("Plan destinations (-want +got):\n%s", diff)
	}
	for _, m := range got {
		if m.Destination == "/shared" && (m.RW || m.Anonymous) {
			t.Errorf("volumes-from :ro mount = %+v, want read-only and not the new container's anonymous volume", m)
		}
	}
	_, err = Plan(Request{HostConfig: &apicontainer.HostConfig{Binds: []string{"a1:/x"}, Mounts: []mount.Mount{{Type: "tmpfs", Target: "/x"}}}})
	if err == nil || !strings.Contains(err.Error(), "Duplicate mount point: /x") {
		t.Errorf("Plan with a duplicate = %v", err)
	}
	_, err = Plan(Request{HostConfig: &apicontainer.HostConfig{Binds: []string{"a1:/x"}, Tmpfs: map[string]string{"/x": ""}}})
	if err == nil || !strings.Contains(err.Error(), "Duplicate mount point: /x") {
		t.Errorf("Plan with a bind and a tmpfs at one path = %v", err)
	}
	if err := Validate(&apicontainer.HostConfig{VolumeDriver: "convoy"}); err == nil || !strings.Contains(err.Error(), `plugin "convoy" not found`) {
		t.Errorf("Validate(VolumeDriver convoy) = %v", err)
	}
	if _, _, err := ParseVolumesFrom("c:bogus"); err == nil {
		t.Errorf("ParseVolumesFrom(c:bogus) = nil")
	}
}

func TestValidateName(t *testing.T) {
	for name, ok := range map[string]bool{"db": true, "a.b-c_d": true, "0x": true, "a": false, "_a": false, "a/b": false, "a b": false, "": false, "ä1": false} {
		if err := ValidateName(name); (err == nil) != ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}
