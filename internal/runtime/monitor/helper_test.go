package monitor

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// A helper binary on a low fd is still the one executed: the child puts
// the helper's files on its first fds before it executes, and once
// executed a file there instead (here /dev/null: "permission denied").
func TestHelperRunsItsBinaryWhateverTheFdsItPassesOn(t *testing.T) {
	// A stand-in for `tug-shim helper`: reads the request on fd 3 and
	// answers it.
	script := filepath.Join(t.TempDir(), "helper")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nread -r line <&3\necho '{\"pid\":42}' >&3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Open(script)
	if err != nil {
		t.Fatal(err)
	}
	defer exe.Close()
	// As many files as it takes for the child's fds 0..n to cover the
	// number exe has here.
	var files []*os.File
	for len(files)+4 <= int(exe.Fd()) {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files = append(files, f)
	}
	// A reaper that does not reap: newReaper's would go on reaping every
	// child of the test binary, other tests' included.
	r := &reaper{waiters: map[int]chan unix.WaitStatus{}}
	h := &helper{exe: exe, root: t.TempDir(), id: "c", reaper: r}
	resp, err := h.call(Request{Op: "pids"}, files, nil)
	for pid := range r.waiters {
		var ws unix.WaitStatus
		_, _ = unix.Wait4(pid, &ws, 0, nil)
	}
	if err != nil {
		t.Fatalf("call() with exe on fd %d and %d files = %v", exe.Fd(), len(files), err)
	}
	if resp.Pid != 42 {
		t.Errorf("response %+v, want the stand-in's pid 42", resp)
	}
}
