package monitor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Operations only a helper does: they need libcontainer, which the
// monitor does not link. A helper is the shim binary run as `tug-shim
// helper --root R --id ID`: it reads one Request on fd 3, answers one
// Response there, and exits when the monitor closes its end. The files
// of an exec's process are its fds 4 to 6 (stdin, stdout, stderr) or 4
// (the console socket).
const (
	OpDestroy = "destroy" // kill what is left in the container, remove its cgroup and libcontainer state
	// OpExec, OpPids, OpPause and OpResume are the client's ops.
)

// HelperFd is the fd on which a helper talks to the monitor.
const HelperFd = 3

// helper runs helpers from the shim binary: exe, the sealed copy the shim
// itself ran from (libcontainer does not copy it again).
type helper struct {
	exe      *os.File
	root, id string
	stderr   *os.File // the shim's log: a helper's panics end up there
	reaper   *reaper
}

// call runs a helper for req with files from fd 4 on. answered, if set,
// is called with the response while the helper still runs (an exec's
// process is still the helper's child then).
func (h *helper) call(req Request, files []*os.File, answered func(Response)) (Response, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return Response{}, err
	}
	sock := os.NewFile(uintptr(fds[0]), "helper")
	defer sock.Close()
	child := os.NewFile(uintptr(fds[1]), "helper-child")
	null, err := os.Open(os.DevNull)
	if err != nil {
		child.Close()
		return Response{}, err
	}
	errOut := null
	if h.stderr != nil {
		errOut = h.stderr
	}
	inherit := []uintptr{null.Fd(), null.Fd(), errOut.Fd(), child.Fd()}
	for _, f := range files {
		inherit = append(inherit, f.Fd())
	}
	// Through this process's fd table, not the child's: the child puts
	// inherit on its fds 0 to len(inherit)-1 before it executes path, and
	// a low exe fd (a shim with few files open got one) was replaced
	// there, so that the exec failed with "permission denied".
	path := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), h.exe.Fd())
	argv := []string{"tug-shim", "helper", "--root", h.root, "--id", h.id}
	pid, exited, err := h.reaper.spawn(func() (int, error) {
		return syscall.ForkExec(path, argv, &syscall.ProcAttr{Dir: "/", Env: os.Environ(), Files: inherit})
	})
	child.Close()
	null.Close()
	if err != nil {
		return Response{}, fmt.Errorf("run helper: %w", err)
	}
	resp, err := h.exchange(sock, req)
	if err == nil && answered != nil {
		answered(resp)
	}
	sock.Close() // the helper exits now; the reaper reaps it
	if err != nil {
		return Response{}, fmt.Errorf("helper %d (%s): %w (%s)", pid, req.Op, err, describe(<-exited))
	}
	return resp, nil
}

func (h *helper) exchange(sock *os.File, req Request) (Response, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return Response{}, err
	}
	if _, err := sock.Write(append(b, '\n')); err != nil {
		return Response{}, err
	}
	line, err := bufio.NewReader(sock).ReadSlice('\n')
	if err != nil {
		return Response{}, err
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return Response{}, err
	}
	return resp, nil
}

func describe(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return fmt.Sprintf("exit status %d", ws.ExitStatus())
}

// run is call for the ops that only answer.
func (h *helper) run(op string) Response {
	resp, err := h.call(Request{Op: op}, nil, nil)
	if err != nil {
		return ErrResponse(err)
	}
	return resp
}
