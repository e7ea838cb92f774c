package daemon

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePS(t *testing.T) {
	out := []byte(`UID   PID  PPID  C STIME TTY  TIME     CMD
root    1     0  0 10:00 ?    00:00:01 /sbin/init splash
root   42     1  0 10:01 ?    00:00:00 sleep 1000
-       -     -  0 10:01 -    00:00:00 -
root   43     1  0 10:01 ?    00:00:00 other
`)
	got, err := parsePS(out, []int{42})
	if err != nil {
		t.Fatalf("parsePS() = %v", err)
	}
	want := [][]string{
		{"root", "42", "1", "0", "10:01", "?", "00:00:00", "sleep 1000"},
		{"-", "-", "-", "0", "10:01", "-", "00:00:00", "-"},
	}
	if d := cmp.Diff(want, got.Processes); d != "" {
		t.Errorf("parsePS() processes diff (-want +got):\n%s", d)
	}
	if len(got.Titles) != 8 || got.Titles[1] != "PID" {
		t.Errorf("parsePS() titles = %v", got.Titles)
	}
	if _, err := parsePS([]byte("USER COMMAND\nroot x\n"), nil); err == nil {
		t.Errorf("parsePS() without a PID column = nil, want an error")
	}
}
