package monitor

import (
	"errors"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// errDone is returned by signal once the process is gone.
var errDone = errors.New("process is gone")

// pidfd signals one process through a pidfd: a signal never reaches
// another process that got the pid after it.
type pidfd struct {
	mu sync.Mutex
	fd int // -1 once closed
}

// openPidfd opens a pidfd for pid, which must be a child not reaped yet
// (or a helper's child while the helper runs).
func openPidfd(pid int) (*pidfd, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, os.NewSyscallError("pidfd_open", err)
	}
	return &pidfd{fd: fd}, nil
}

func (p *pidfd) signal(sig unix.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fd < 0 {
		return errDone
	}
	if err := unix.PidfdSendSignal(p.fd, sig, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return errDone
		}
		return os.NewSyscallError("pidfd_send_signal", err)
	}
	return nil
}

// close is called once the process is reaped.
func (p *pidfd) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fd >= 0 {
		unix.Close(p.fd)
		p.fd = -1
	}
}
