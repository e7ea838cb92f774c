package cli

import (
	"io"
	"strings"
	"testing"
)

// NewRootCommandFor builds only the command a `tug run`-like command line
// names (after the global options), and every command otherwise.
func TestRootCommandForBuildsOnlyTheNamedTopLevelContainerCommand(t *testing.T) {
	full, _ := NewRootCommand(io.NopCloser(strings.NewReader("")), io.Discard, io.Discard)
	all := len(full.Commands())
	for _, tt := range []struct {
		args []string
		only string // "" for the full tree
	}{
		{[]string{"run", "--rm", "busybox", "true"}, "run"},
		{[]string{"-H", "unix:///run/x.sock", "--config", "/tmp/c", "exec", "-it", "c", "sh"}, "exec"},
		{[]string{"--debug", "ps", "-a"}, "ps"},
		{[]string{"start", "-a", "c"}, "start"},
		{[]string{"container", "run", "busybox"}, ""},
		{[]string{"image", "ls"}, ""},
		{[]string{"help", "run"}, ""},
		{[]string{"--help"}, ""},
		{[]string{"-v"}, ""},
		{[]string{"compose", "up"}, ""},
		{[]string{"--bogus", "run"}, ""},
		{nil, ""},
	} {
		root, _ := NewRootCommandFor(tt.args, io.NopCloser(strings.NewReader("")), io.Discard, io.Discard)
		cmds := root.Commands()
		switch {
		case tt.only == "" && len(cmds) != all:
			t.Errorf("%q: %d commands, want all %d", tt.args, len(cmds), all)
		case tt.only != "" && (len(cmds) != 1 || cmds[0].Name() != tt.only):
			t.Errorf("%q: %d commands (first %q), want %s alone", tt.args, len(cmds), cmds[0].Name(), tt.only)
		}
	}
}

// The command built alone is the one of the full tree: same use line,
// aliases annotation and flags.
func TestRootCommandForBuildsTheSameCommand(t *testing.T) {
	full, _ := NewRootCommand(io.NopCloser(strings.NewReader("")), io.Discard, io.Discard)
	for _, name := range []string{"run", "ps", "exec", "create"} {
		root, _ := NewRootCommandFor([]string{name}, io.NopCloser(strings.NewReader("")), io.Discard, io.Discard)
		alone := root.Commands()[0]
		ref, _, err := full.Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		if alone.UseLine() != ref.UseLine() || alone.Annotations["aliases"] != ref.Annotations["aliases"] ||
			alone.Flags().FlagUsages() != ref.Flags().FlagUsages() {
			t.Errorf("%s built alone differs from the full tree's", name)
		}
	}
}
