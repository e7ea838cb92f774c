package opts

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/mount"
)

func TestParseMount(t *testing.T) {
	tests := []struct {
		in   string
		want mount.Mount
		err  string
	}{
		{in: "type=bind,source=/a,target=/b,readonly", want: mount.Mount{Type: "bind", Source: "/a", Target: "/b", ReadOnly: true}},
		{in: "src=v,dst=/d", want: mount.Mount{Type: "volume", Source: "v", Target: "/d"}},
		{in: "type=volume,destination=/d,volume-nocopy,volume-label=a=b,volume-opt=type=tmpfs,volume-driver=local",
			want: mount.Mount{Type: "volume", Target: "/d", VolumeOptions: &mount.VolumeOptions{NoCopy: true, Labels: map[string]string{"a": "b"},
				DriverConfig: &mount.Driver{Name: "local", Options: map[string]string{"type": "tmpfs"}}}}},
		{in: "type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770", want: mount.Mount{Type: "tmpfs", Target: "/t", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20, Mode: 0o1770}}},
		{in: "type=bind,src=/a,dst=/b,bind-propagation=rslave,ro=false", want: mount.Mount{Type: "bind", Source: "/a", Target: "/b", BindOptions: &mount.BindOptions{Propagation: "rslave"}}},
		{in: `type=bind,"src=/a,b",dst=/c`, want: mount.Mount{Type: "bind", Source: "/a,b", Target: "/c"}},
		{in: "type=bind,src=/a", err: "target is required"},
		{in: "type=bind,src=/a,dst=/b,colour=red", err: "unexpected key 'colour' in 'colour=red'"},
		{in: "type=bind,src,dst=/b", err: "invalid field 'src' must be a key=value pair"},
		{in: "type=volume,dst=/b,bind-propagation=shared", err: "cannot mix 'bind-*' options with mount type 'volume'"},
		{in: "type=bind,src=/a,dst=/b,volume-nocopy", err: "cannot mix 'volume-*' options with mount type 'bind'"},
		{in: "type=tmpfs,dst=/b,tmpfs-mode=9", err: "invalid value for tmpfs-mode"},
	}
	for _, tt := range tests {
		got, err := ParseMount(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseMount(%q) = %+v, %v; want %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMount(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseMount(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
