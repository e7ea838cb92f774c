package monitor

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// execFifo lets the waiting init execute the user's command, like
// libcontainer's Container.Exec: the init blocks opening the exec fifo for
// writing until it is opened for reading here, writes a byte and executes
// the command; the fifo then goes.
func (s *shim) execFifo() error {
	opened := make(chan fifoResult, 1)
	go func() { opened <- openFifo(s.cfg.ExecFifo, true) }()
	for {
		select {
		case r := <-opened:
			return readFifo(r)
		case <-time.After(100 * time.Millisecond):
			if s.initGone() {
				// It may have started, run and exited meanwhile: then the
				// fifo holds its byte and opens without blocking.
				if err := readFifo(openFifo(s.cfg.ExecFifo, false)); err != nil {
					return errors.New("container process is already dead")
				}
				return nil
			}
		}
	}
}

type fifoResult struct {
	f   *os.File
	err error
}

func openFifo(path string, block bool) fifoResult {
	flags := os.O_RDONLY
	if !block {
		flags |= unix.O_NONBLOCK
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		return fifoResult{err: fmt.Errorf("exec fifo: %w", err)}
	}
	return fifoResult{f: f}
}

func readFifo(r fifoResult) error {
	if r.err != nil {
		return r.err
	}
	defer r.f.Close()
	data, err := io.ReadAll(r.f)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return errors.New("cannot start an already running container")
	}
	if err := os.Remove(r.f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// initGone reports whether the init has ended (a zombie not reaped yet
// counts).
func (s *shim) initGone() bool {
	select {
	case <-s.initReaped:
		return true
	default: // still a child of ours: its pid is not reused
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/stat")
	if err != nil {
		return true
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z'
}

// oomKilled reports whether the kernel's OOM killer killed a process of
// the container's memory cgroup: the oom_kill count of file
// (memory.oom_control in cgroup v1, memory.events in v2).
func oomKilled(file string) bool {
	if file == "" {
		return false
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "oom_kill "); ok {
			n, _ := strconv.Atoi(v)
			return n > 0
		}
	}
	return false
}
