package monitor

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/logger"
)

// procIO is the I/O of one process the shim runs, the container's init or
// an exec: it holds the process's stdin and output pipes or its pty
// master, pumps the output to the log (when it has one) and to the
// attachers as frames, writes and closes stdin, resizes the terminal, and
// records the exit once the process is reaped and its output has ended.
type procIO struct {
	log    *logger.File // nil: the output is not logged (execs)
	logger *slog.Logger

	stdin   *os.File // pipe write end or pty master; nil without stdin
	console *os.File // pty master, with a terminal

	mu        sync.Mutex
	attachers map[*attacher]struct{}
	outDone   bool // all output read, attachers ended
	stdinShut bool

	pumps  sync.WaitGroup
	exited chan struct{} // closed once exit is recorded
	exit   Exit
}

// newProcIO returns the I/O of a process about to start; log, if not nil,
// receives its output in the json-file format.
func newProcIO(log *logger.File, lg *slog.Logger) *procIO {
	return &procIO{log: log, logger: lg, attachers: map[*attacher]struct{}{}, exited: make(chan struct{})}
}

// ProcessIO is a process's end of its stdio: a ConsoleSocket on which the
// process sends its pty master when it has a terminal, the three files
// otherwise.
type ProcessIO struct {
	Stdin, Stdout, Stderr *os.File
	ConsoleSocket         *os.File
}

// Ends are the shim's end of a process's stdio: stdin's write end (the pty
// master with a terminal and stdin, nil without stdin), the read ends of
// stdout and stderr, or the pty master.
type Ends struct {
	Stdin, Stdout, Stderr *os.File
	Console               *os.File
}

// Stdio is a process's stdio while the process is being started.
type Stdio struct {
	Child  ProcessIO // the process's ends, closed by Started and Close
	Parent Ends      // complete once Started has returned

	terminal, openStdin bool
	consoleSock         *os.File
}

// NewStdio makes a process's stdio: with terminal, a socket on which the
// process sends its pty master; otherwise stdin (a pipe with openStdin,
// /dev/null without) and pipes for stdout and stderr.
func NewStdio(terminal, openStdin bool) (_ *Stdio, retErr error) {
	s := &Stdio{terminal: terminal, openStdin: openStdin}
	defer func() {
		if retErr != nil {
			s.Close()
		}
	}()
	if terminal {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		s.consoleSock = os.NewFile(uintptr(fds[0]), "console")
		s.Child.ConsoleSocket = os.NewFile(uintptr(fds[1]), "console-child")
		return s, nil
	}
	var err error
	if openStdin {
		if s.Child.Stdin, s.Parent.Stdin, err = os.Pipe(); err != nil {
			return nil, err
		}
	} else if s.Child.Stdin, err = os.Open(os.DevNull); err != nil {
		return nil, err
	}
	if s.Parent.Stdout, s.Child.Stdout, err = os.Pipe(); err != nil {
		return nil, err
	}
	if s.Parent.Stderr, s.Child.Stderr, err = os.Pipe(); err != nil {
		return nil, err
	}
	return s, nil
}

// Started closes the process's ends once the process holds them and, with
// a terminal, receives the pty master the process has sent by now. On
// error everything is closed (the caller kills the process).
func (s *Stdio) Started() error {
	s.closeChild()
	if !s.terminal {
		return nil
	}
	master, err := recvFd(s.consoleSock)
	s.consoleSock.Close()
	s.consoleSock = nil
	if err != nil {
		s.Close()
		return fmt.Errorf("receive pty master: %w", err)
	}
	s.Parent.Console = master
	if s.openStdin {
		s.Parent.Stdin = master
	}
	return nil
}

func (s *Stdio) closeChild() {
	for _, f := range []*os.File{s.Child.Stdin, s.Child.Stdout, s.Child.Stderr, s.Child.ConsoleSocket} {
		if f != nil {
			f.Close()
		}
	}
	s.Child = ProcessIO{}
}

// Close closes both ends (after a failed start).
func (s *Stdio) Close() {
	s.closeChild()
	for _, f := range []*os.File{s.Parent.Stdin, s.Parent.Stdout, s.Parent.Stderr, s.Parent.Console, s.consoleSock} {
		if f != nil {
			f.Close()
		}
	}
	s.Parent, s.consoleSock = Ends{}, nil
}

// start makes the process's stdio (NewStdio) and calls run with the
// process's ends; once run has returned it closes them, receives the pty
// master and starts pumping the output. When run fails everything is
// closed; when receiving the master fails after run succeeded, the caller
// kills the process.
func (p *procIO) start(terminal, openStdin bool, run func(ProcessIO) error) error {
	s, err := NewStdio(terminal, openStdin)
	if err != nil {
		return err
	}
	if err := run(s.Child); err != nil {
		s.Close()
		return err
	}
	if err := s.Started(); err != nil {
		return err
	}
	p.adopt(s.Parent)
	return nil
}

// adopt takes the shim's ends of a started process's stdio and starts
// pumping its output.
func (p *procIO) adopt(e Ends) {
	p.stdin, p.console = e.Stdin, e.Console
	if e.Console != nil {
		p.pumps.Add(1)
		go p.pump(e.Console, FrameStdout, "stdout")
		return
	}
	p.pumps.Add(2)
	go p.pump(e.Stdout, FrameStdout, "stdout")
	go p.pump(e.Stderr, FrameStderr, "stderr")
}

// recvFd receives one file descriptor over a unix socket.
func recvFd(sock *os.File) (*os.File, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			return nil, err
		}
		for _, fd := range fds[1:] {
			unix.Close(fd)
		}
		if len(fds) > 0 {
			return os.NewFile(uintptr(fds[0]), string(buf[:n])), nil
		}
	}
	return nil, errors.New("no file descriptor received")
}

// pump copies one output stream to the log first, if there is one, then
// to the attachers.
func (p *procIO) pump(r *os.File, kind byte, stream string) {
	defer p.pumps.Done()
	var lw *logger.LineWriter
	if p.log != nil {
		lw = logger.NewLineWriter(p.log, stream)
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if lw != nil {
				if _, werr := lw.Write(buf[:n]); werr != nil {
					p.logger.Error("write log", "err", werr)
				}
			}
			p.broadcast(MakeFrame(kind, buf[:n]))
		}
		if err != nil { // EOF, or EIO from a pty whose last slave closed
			break
		}
	}
	if lw != nil {
		if err := lw.Close(); err != nil {
			p.logger.Error("write log", "err", err)
		}
	}
	r.Close()
}

// broadcast hands a frame to every attacher. A full attacher gets a bounded
// grace period; one that stays full is dropped, so a stuck client cannot
// stall the process for long.
func (p *procIO) broadcast(frame []byte) {
	p.mu.Lock()
	if len(p.attachers) == 0 {
		p.mu.Unlock()
		return
	}
	list := make([]*attacher, 0, len(p.attachers))
	for a := range p.attachers {
		list = append(list, a)
	}
	p.mu.Unlock()
	for _, a := range list {
		a.send(frame)
	}
}

// drainTimeout bounds how long a reaped process's output may stay open (a
// process outside the pid namespace, or an exec's background child, can
// hold the pipe).
const drainTimeout = 2 * time.Second

// reap waits for the process with wait, waits (bounded) for its output to
// drain, ends the attachers and closes stdin, then records the exit: record,
// if set, completes and persists it before exited is closed.
func (p *procIO) reap(wait func() (unix.WaitStatus, error), record func(*Exit)) {
	ws, err := wait()
	e := Exit{ExitedAt: time.Now().UTC(), Code: ws.ExitStatus()}
	if err != nil {
		p.logger.Error("wait", "err", err)
	}
	if ws.Signaled() {
		e.Code = 128 + int(ws.Signal())
	}
	drained := make(chan struct{})
	go func() { p.pumps.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(drainTimeout):
		p.logger.Warn("output not drained after exit")
	}
	p.mu.Lock()
	p.outDone = true
	p.closeStdinLocked()
	for a := range p.attachers {
		a.end()
	}
	p.mu.Unlock()
	if record != nil {
		record(&e)
	}
	p.exit = e
	close(p.exited)
}

// exitStatus returns the exit once the process has exited.
func (p *procIO) exitStatus() (Exit, bool) {
	select {
	case <-p.exited:
		return p.exit, true
	default:
		return Exit{}, false
	}
}

// attach registers a for the output from now on. It returns false when the
// output has already ended.
func (p *procIO) attach(a *attacher) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.outDone {
		return false
	}
	p.attachers[a] = struct{}{}
	return true
}

func (p *procIO) detach(a *attacher) {
	p.mu.Lock()
	delete(p.attachers, a)
	p.mu.Unlock()
}

// stream serves an attacher registered with attach: its writer runs in the
// background, counted in writers, while its input is read here until the
// client detaches or goes away. With withStdin its stdin frames reach the
// process and the end of its stdin calls eof (if set); without, its input
// is read and dropped.
func (p *procIO) stream(a *attacher, br *bufio.Reader, writers *sync.WaitGroup, withStdin bool, eof func()) {
	writers.Add(1)
	go func() {
		defer writers.Done()
		a.writeLoop()
	}()
	defer p.detach(a)
	write := func([]byte) {}
	if withStdin {
		write = p.writeStdin
	}
	if !withStdin || eof == nil {
		eof = func() {}
	}
	readInput(br, a, write, eof)
}

func (p *procIO) writeStdin(b []byte) {
	p.mu.Lock()
	w, shut := p.stdin, p.stdinShut
	p.mu.Unlock()
	if w == nil || shut {
		return
	}
	_, _ = w.Write(b) // may block while the process does not read: only this attacher waits
}

// closeStdin ends the process's stdin: a pipe is closed, a pty stays open
// (Docker does not send EOF to a terminal either); later stdin is dropped.
func (p *procIO) closeStdin() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeStdinLocked()
}

func (p *procIO) closeStdinLocked() {
	if p.stdinShut || p.stdin == nil {
		return
	}
	p.stdinShut = true
	if p.stdin != p.console {
		p.stdin.Close()
	}
}

// resize sets the size of the process's terminal (no-op without one).
func (p *procIO) resize(h, w uint) error {
	if p.console == nil {
		return nil
	}
	ws := &unix.Winsize{Row: uint16(h), Col: uint16(w)}
	if err := unix.IoctlSetWinsize(int(p.console.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		return fmt.Errorf("resize: %w", err)
	}
	return nil
}

// readInput feeds an attacher's stdin frames to write and its end of
// input to eof, until the client detaches or goes away (the attacher's
// writer then ends on its own).
func readInput(br *bufio.Reader, a *attacher, write func([]byte), eof func()) {
	buf := make([]byte, 32<<10)
	for {
		kind, p, err := ReadFrame(br, buf)
		if err != nil {
			a.kill()
			return
		}
		switch kind {
		case FrameStdin:
			write(p)
		case FrameStdinEOF:
			eof()
		}
	}
}

const (
	attacherQueue = 64              // frames (each ≤ 32 KiB)
	slowAttacher  = 5 * time.Second // how long the process may wait for one attacher
)

// attacher is one client receiving a process's output as frames.
type attacher struct {
	conn     net.Conn
	ch       chan []byte
	once     sync.Once // end
	killOnce sync.Once
	dead     chan struct{}
}

func newAttacher(conn net.Conn) *attacher {
	return &attacher{conn: conn, ch: make(chan []byte, attacherQueue), dead: make(chan struct{})}
}

func (a *attacher) send(frame []byte) {
	select {
	case a.ch <- frame:
		return
	case <-a.dead:
		return
	default:
	}
	t := time.NewTimer(slowAttacher)
	defer t.Stop()
	select {
	case a.ch <- frame:
	case <-a.dead:
	case <-t.C:
		slog.Warn("dropping slow attacher")
		a.kill()
	}
}

// end queues the end-of-output frame; the writer stops after it.
func (a *attacher) end() {
	a.once.Do(func() {
		go a.send(MakeFrame(FrameEnd, nil))
	})
}

func (a *attacher) kill() {
	a.killOnce.Do(func() {
		close(a.dead)
		a.conn.Close()
	})
}

// writeLoop sends queued frames to the client until the end frame.
func (a *attacher) writeLoop() {
	defer a.kill()
	for {
		select {
		case f := <-a.ch:
			if _, err := a.conn.Write(f); err != nil || f[0] == FrameEnd {
				return
			}
		case <-a.dead:
			return
		}
	}
}
