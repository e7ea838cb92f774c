package volume

import (
	"errors"
	"testing"

	"github.com/tug-project/tug/internal/errdefs"
)

func TestParseBind(t *testing.T) {
	tests := []struct {
		spec string
		want Bind
		bad  bool
	}{
		{spec: "/srv/data:/data", want: Bind{Source: "/srv/data", Destination: "/data"}},
		{spec: "/srv/data/:/data/:ro", want: Bind{Source: "/srv/data", Destination: "/data", ReadOnly: true, Mode: "ro"}},
		{spec: "/a:/b:rw,z", want: Bind{Source: "/a", Destination: "/b", Mode: "rw,z"}},
		{spec: "myvol:/data", bad: true},
		{spec: "/a:relative", bad: true},
		{spec: "/a:/", bad: true},
		{spec: "/a:/b:ro,rw", bad: true},
		{spec: "/a:/b:bogus", bad: true},
		{spec: "/a", bad: true},
		{spec: "/a:/b:ro:x", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseBind(tt.spec)
		if tt.bad {
			if !errors.Is(err, errdefs.ErrInvalidParameter) {
				t.Errorf("ParseBind(%q) = %+v, %v; want invalid parameter", tt.spec, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseBind(%q) = %+v, %v; want %+v", tt.spec, got, err, tt.want)
		}
	}
}
