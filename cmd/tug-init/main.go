// Command tug-init is the init `run --init` puts in a container as pid 1
// (bind-mounted read-only at /sbin/docker-init, as Docker does with
// docker-init): it runs the command as its child, forwards every signal
// it can catch to it, reaps every process that ends up its child (orphans
// are reparented to pid 1), and exits with the command's status. It is a
// static binary built next to tugd: `tug-init -- CMD [ARG...]`.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "tug-init: usage: tug-init -- CMD [ARG...]")
		os.Exit(2)
	}
	os.Exit(run(args))
}

func run(args []string) int {
	// Not pid 1 (--pid host, --pid container:X): still adopt the orphans.
	if os.Getpid() != 1 {
		_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	}
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs) // every catchable signal, SIGCHLD included
	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "tug-init: exec %q: %v\n", args[0], err)
		return 127
	}
	attr := &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
		// Its own process group, in the foreground of the terminal if
		// there is one: a ^C reaches the command once, not through us.
		Sys: &syscall.SysProcAttr{Setpgid: true},
	}
	if isTerminal(0) {
		attr.Sys.Foreground = true
		attr.Sys.Ctty = 0
	}
	child, err := syscall.ForkExec(path, args, attr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tug-init: exec %q: %v\n", args[0], err)
		if err == syscall.EACCES {
			return 126
		}
		return 127
	}
	for sig := range sigs {
		s := sig.(syscall.Signal)
		if s != syscall.SIGCHLD {
			// SIGURG is the Go runtime's own; job control and window
			// size changes reach the foreground command from the kernel.
			if s == syscall.SIGURG || s == syscall.SIGTTIN || s == syscall.SIGTTOU || s == syscall.SIGWINCH && attr.Sys.Foreground {
				continue
			}
			_ = syscall.Kill(child, s)
			continue
		}
		if code, done := reap(child); done {
			return code
		}
	}
	return 0
}

// reap waits for every child that has exited; done once the command has,
// with its exit status (128+signal when killed).
func reap(child int) (code int, done bool) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return code, done
		}
		if pid != child {
			continue
		}
		done = true
		switch {
		case ws.Exited():
			code = ws.ExitStatus()
		case ws.Signaled():
			code = 128 + int(ws.Signal())
		}
	}
}

func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}
