package cache

import (
	"io/fs"
	"testing"

	"github.com/opencontainers/go-digest"
)

// Golden keys: a change here invalidates every user's build cache, so it
// must come with a new keyVersion.
func TestKeyGolden(t *testing.T) {
	parent := digest.Digest("sha256:" + "1111111111111111111111111111111111111111111111111111111111111111")
	src := digest.Digest("sha256:" + "2222222222222222222222222222222222222222222222222222222222222222")
	tests := []struct {
		name        string
		parent      digest.Digest
		instruction string
		args        []string
		sources     digest.Digest
		want        digest.Digest
	}{
		{"scratch env", "", "/bin/sh -c #(nop)  ENV A=b", nil, "", "sha256:f8e8be8b3e9cf09ca7cd8cd7875c7d41112a188bb0d77f38211029292a5ed92a"},
		{"run with args", parent, "|1 V=2 /bin/sh -c make", []string{"V=2"}, "", "sha256:70de99b1b46b774a9f223e63757461abaa7199cc97bc4bdd000f0bfbd055257b"},
		{"copy", parent, "/bin/sh -c #(nop) COPY file:22 in /a ", nil, src, "sha256:f537ee55fb7ad9a40e0d7b14ab3edc851594e9b95c89bfd1b9feb87b82d0321e"},
	}
	for _, tc := range tests {
		got := Key(tc.parent, tc.instruction, tc.args, tc.sources)
		if got != tc.want {
			t.Errorf("%s: Key() = %s, want %s", tc.name, got, tc.want)
		}
		if again := Key(tc.parent, tc.instruction, tc.args, tc.sources); again != got {
			t.Errorf("%s: Key() not deterministic", tc.name)
		}
	}
}

func TestKeyInputs(t *testing.T) {
	p := digest.FromString("parent")
	base := Key(p, "RUN x", []string{"A=1", "B=2"}, "")
	for name, k := range map[string]digest.Digest{
		"parent":      Key(digest.FromString("other"), "RUN x", []string{"A=1", "B=2"}, ""),
		"instruction": Key(p, "RUN y", []string{"A=1", "B=2"}, ""),
		"arg value":   Key(p, "RUN x", []string{"A=1", "B=3"}, ""),
		"arg missing": Key(p, "RUN x", []string{"A=1"}, ""),
		"sources":     Key(p, "RUN x", []string{"A=1", "B=2"}, digest.FromString("s")),
		"field shift": Key(p, "RUN x", []string{"A=1B=2"}, ""),
	} {
		if k == base {
			t.Errorf("changing the %s kept the key", name)
		}
	}
	if Key(p, "RUN x", []string{"B=2", "A=1"}, "") != base {
		t.Errorf("build arg order changed the key")
	}
}

func TestSourcesDigest(t *testing.T) {
	a := File{Path: "a", Mode: 0o644, Size: 1, Content: digest.FromString("x")}
	b := File{Path: "b", Mode: fs.ModeDir | 0o755}
	base := SourcesDigest([]File{a, b})
	if SourcesDigest([]File{b, a}) != base {
		t.Errorf("order changed the digest")
	}
	changed := a
	changed.Content = digest.FromString("y")
	mode := a
	mode.Mode = 0o600
	for name, f := range map[string]File{"content": changed, "mode": mode} {
		if SourcesDigest([]File{f, b}) == base {
			t.Errorf("changing the %s kept the digest", name)
		}
	}
}
