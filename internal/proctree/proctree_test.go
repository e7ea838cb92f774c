package proctree

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

func TestParentOf(t *testing.T) {
	tests := []struct {
		stat string
		want int
		ok   bool
	}{
		{"42 (sleep) S 7 42 42 0 -1", 7, true},
		{"42 (a) b) (c) R 99 1 1", 99, true}, // the command may hold ") "
		{"42 (x y) S 1", 1, true},
		{"garbage", 0, false},
		{"42 (sleep) S", 0, false},
	}
	for _, tt := range tests {
		got, ok := parentOf([]byte(tt.stat))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parentOf(%q) = %d, %v; want %d, %v", tt.stat, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDescendantsWalksTheTree(t *testing.T) {
	children := map[int][]int{1: {10, 20}, 10: {11}, 11: {12}, 20: {}, 30: {31}}
	got := descendants(children, 10)
	if !slices.Equal(got, []int{10, 11, 12}) {
		t.Errorf("descendants(10) = %v", got)
	}
	if got := descendants(children, 99); !slices.Equal(got, []int{99}) {
		t.Errorf("descendants(99) = %v", got)
	}
}

func TestChildrenOfReadsProc(t *testing.T) {
	root := t.TempDir()
	for pid, stat := range map[string]string{"1": "1 (init) S 0", "5": "5 (sh) S 1", "6": "6 (sleep) S 5", "self": ""} {
		if err := os.MkdirAll(filepath.Join(root, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, pid, "stat"), []byte(stat), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := childrenOf(root)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[1], []int{5}) || !slices.Equal(got[5], []int{6}) || len(got[0]) != 1 {
		t.Errorf("childrenOf() = %v", got)
	}
}

// Kill takes a shell with the children it started.
func TestKillTakesTheDescendants(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 300 & sleep 301 & wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var tree []int
	if !testutil.WaitFor(5*time.Second, func() bool {
		tree, _ = Tree(cmd.Process.Pid)
		return len(tree) == 3
	}) {
		t.Fatalf("Tree(sh) = %v, want the shell and its two sleeps", tree)
	}
	if err := Kill(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for _, p := range tree[1:] {
		// Gone, or a zombie its new parent has yet to reap.
		if !testutil.WaitFor(5*time.Second, func() bool {
			b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "stat"))
			return err != nil || strings.Contains(string(b), ") Z ")
		}) {
			t.Errorf("process %d lives on", p)
		}
	}
}
