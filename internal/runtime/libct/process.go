package libct

import (
	"os"
	"syscall"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ProcessIO is the stdio of an additional process: a ConsoleSocket that
// receives the pty master when the process has a terminal, the three
// files otherwise.
type ProcessIO struct {
	Stdin, Stdout, Stderr *os.File
	ConsoleSocket         *os.File
}

// Process is an additional process run in a container's namespaces and
// cgroup (an exec); it is a child of this process.
type Process struct {
	p *libcontainer.Process
}

// Run starts p (converted like the container's own process) in the
// running container: it joins the container's namespaces and cgroup
// (libcontainer's setns process). A command that cannot be found fails
// with an error of class errdefs.ErrCommandNotFound, one that cannot be
// executed with errdefs.ErrCannotInvoke.
func (c *Container) Run(p *specs.Process, stdio ProcessIO) (*Process, error) {
	lp, err := newProcess(p)
	if err != nil {
		return nil, err
	}
	lp.Init = false
	if p.Terminal {
		lp.ConsoleSocket = stdio.ConsoleSocket
	} else {
		lp.Stdin, lp.Stdout, lp.Stderr = stdio.Stdin, stdio.Stdout, stdio.Stderr
	}
	if err := c.c.Run(lp); err != nil {
		return nil, classify(err)
	}
	return &Process{p: lp}, nil
}

// Pid is the host pid of the process.
func (p *Process) Pid() int {
	pid, _ := p.p.Pid()
	return pid
}

// Wait reaps the process and returns its wait status.
func (p *Process) Wait() (unix.WaitStatus, error) {
	ps, err := p.p.Wait()
	if ps == nil {
		return 0, err
	}
	ws, _ := ps.Sys().(syscall.WaitStatus)
	return unix.WaitStatus(ws), nil
}

// Signal sends sig to the process.
func (p *Process) Signal(sig unix.Signal) error {
	return p.p.Signal(sig)
}

// Processes lists the host pids of every process in the container's cgroup.
func (c *Container) Processes() ([]int, error) {
	return c.c.Processes()
}
