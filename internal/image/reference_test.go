package image

import (
	"errors"
	"testing"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/errdefs"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, full, familiar string
		wantErr            bool
	}{
		{"busybox", "docker.io/library/busybox:latest", "busybox:latest", false},
		{"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36", false},
		{"library/busybox", "docker.io/library/busybox:latest", "busybox:latest", false},
		{"docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "busybox:latest", false},
		{"user/app", "docker.io/user/app:latest", "user/app:latest", false},
		{"localhost:5000/app:v1", "localhost:5000/app:v1", "localhost:5000/app:v1", false},
		{"127.0.0.1:5000/a/b", "127.0.0.1:5000/a/b:latest", "127.0.0.1:5000/a/b:latest", false},
		{"busybox@sha256:" + hex64('a'), "docker.io/library/busybox@sha256:" + hex64('a'), "busybox@sha256:" + hex64('a'), false},
		{"Busybox", "", "", true},
		{"a:b:c", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Normalize(%q) = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, errdefs.ErrInvalidParameter) {
					t.Fatalf("Normalize(%q) = %v, want ErrInvalidParameter", tt.in, err)
				}
				return
			}
			if got.String() != tt.full || reference.FamiliarString(got) != tt.familiar {
				t.Fatalf("Normalize(%q) = %s (%s), want %s (%s)", tt.in, got, reference.FamiliarString(got), tt.full, tt.familiar)
			}
		})
	}
}

func hex64(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

func TestParseTag(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"app", "docker.io/library/app:latest", ""},
		{"app:v1", "docker.io/library/app:v1", ""},
		{"Foo", "", "invalid reference format: repository name (library/Foo) must be lowercase"},
		{"app@sha256:" + hex64('b'), "", "refusing to create a tag with a digest reference"},
		{"sha256:abc", "", "refusing to create an ambiguous tag using digest algorithm as name"},
		{hex64('c'), "", "invalid repository name (" + hex64('c') + "), cannot specify 64-byte hexadecimal strings"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTag(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, errdefs.ErrInvalidParameter) {
					t.Fatalf("ParseTag(%q) = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("ParseTag(%q) = %v, %v, want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestMatchIDPrefix(t *testing.T) {
	a := digest.Digest("sha256:abc1" + hex64('0')[4:])
	b := digest.Digest("sha256:abc2" + hex64('0')[4:])
	c := digest.Digest("sha256:f00d" + hex64('1')[4:])
	ids := []digest.Digest{a, b, c}
	tests := []struct {
		term string
		want digest.Digest
	}{
		{"f", c},
		{"f00d", c},
		{"sha256:f00", c},
		{"abc1", a},
		{"abc", ""}, // ambiguous
		{"", ""},
		{"sha512:f00", ""},
		{"xyz", ""},
		{"F00D", ""},
		{c.Encoded(), c},
	}
	for _, tt := range tests {
		t.Run(tt.term, func(t *testing.T) {
			got, ok := matchIDPrefix(ids, tt.term)
			if got != tt.want || ok != (tt.want != "") {
				t.Fatalf("matchIDPrefix(%q) = %v, %v, want %v", tt.term, got, ok, tt.want)
			}
		})
	}
}

func TestNotFoundText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"foo", "No such image: foo:latest"},
		{"foo:v1", "No such image: foo:v1"},
		{"docker.io/library/foo", "No such image: foo:latest"},
		{"sha256:" + hex64('d'), "No such image: sha256:" + hex64('d')},
	}
	for _, tt := range tests {
		if err := notFound(tt.in); err.Error() != tt.want || !errors.Is(err, errdefs.ErrNotFound) {
			t.Fatalf("notFound(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}
