package testutil

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/creack/pty"
)

func TestRunPTY(t *testing.T) {
	if _, err := exec.LookPath("stty"); err != nil {
		t.Skip("needs stty")
	}
	// Raw mode first (RunPTY waits for it), then a line at a time.
	script := `stty raw -echo; stty size; echo ready; i=0
while read l; do i=$((i+1)); echo "line $i: $l"; [ "$l" = size ] && stty size; [ $i = 5 ] && exit 7; done`
	out, code := RunPTY(t, exec.Command("sh", "-c", script),
		PTYStep{Wait: "ready", Input: "first\n"},
		PTYStep{Wait: "line 1: first", Resize: &pty.Winsize{Rows: 33, Cols: 111}, Input: "size\n"},
		// Typed again until the shell has read five lines.
		PTYStep{Wait: "33 111", Input: "again\n", Until: "line 5"})
	if code != 7 {
		t.Errorf("exit status %d, want 7; terminal %q", code, out)
	}
	for _, want := range []string{"30 100", "line 1: first", "line 2: size", "33 111", "line 5: again"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal %q lacks %q", out, want)
		}
	}
}
