package runtime

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/logger"
	"github.com/tug-project/tug/internal/runtime/libct"
)

// syncFd is where Spawn hands the shim the pipe on which it reports the
// creation result.
const syncFd = 3

// ShimMain is the shim (`tugd shim <args>`): it creates the container
// described by its flags, serves clients on StateDir/shim.sock and exits
// after Shutdown. It returns the process exit code.
func ShimMain(args []string) int {
	var cfg Config
	fs := flag.NewFlagSet("shim", flag.ContinueOnError)
	fs.StringVar(&cfg.ID, "id", "", "container ID")
	fs.StringVar(&cfg.Bundle, "bundle", "", "bundle directory")
	fs.StringVar(&cfg.StateDir, "state-dir", "", "state directory")
	fs.StringVar(&cfg.LogPath, "log", "", "json-file log")
	fs.Int64Var(&cfg.LogRotate.MaxSize, "log-max-size", 0, "rotate the log at this size in bytes (0: never)")
	fs.IntVar(&cfg.LogRotate.MaxFiles, "log-max-file", 1, "log files kept, the current one included")
	fs.BoolVar(&cfg.Terminal, "terminal", false, "allocate a pty")
	fs.BoolVar(&cfg.OpenStdin, "stdin", false, "keep stdin open")
	fs.BoolVar(&cfg.StdinOnce, "stdin-once", false, "close stdin after the first attach ends")
	fs.DurationVar(&cfg.IdleExit, "idle-exit", defaultIdleExit, "exit this long after the container exited with no client (<0: never)")
	syncPipe := fs.Bool("sync", false, "report the creation result on fd 3")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// A shim per container: keep the heap small.
	debug.SetGCPercent(50)

	var report *os.File
	if *syncPipe {
		report = os.NewFile(syncFd, "sync")
		unix.CloseOnExec(syncFd)
	}
	if f, err := os.OpenFile(filepath.Join(cfg.StateDir, shimLog), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
		slog.SetDefault(slog.New(slog.NewTextHandler(f, nil)))
	}

	s, err := newShim(cfg)
	if err != nil {
		if report != nil {
			_ = json.NewEncoder(report).Encode(errResponse(err))
			report.Close()
		} else {
			fmt.Fprintln(os.Stderr, err)
		}
		return 1
	}
	if report != nil {
		_ = json.NewEncoder(report).Encode(response{Pid: s.ct.Pid()})
		report.Close()
	}
	debug.FreeOSMemory() // what creating the container needed goes back to the OS
	return s.serve()
}

type shim struct {
	cfg Config
	ct  *libct.Container
	ln  *net.UnixListener
	log *logger.File

	stdin   *os.File // pipe write end or pty master; nil without OpenStdin
	console *os.File // pty master, with Terminal

	mu        sync.Mutex
	attachers map[*attacher]struct{}
	writers   sync.WaitGroup // attachers' write loops, drained before the shim exits
	outDone   bool           // all output read
	stdinShut bool
	started   bool
	conns     int       // open client connections
	idleSince time.Time // last time conns dropped to 0

	pumps  sync.WaitGroup
	exited chan struct{} // closed once exit is recorded
	exit   Exit

	execs map[string]*execProc // additional processes by exec ID (exec.go); under mu
}

// newShim creates the container. On error it leaves nothing behind but
// what Spawn removes (the state dir).
func newShim(cfg Config) (_ *shim, retErr error) {
	s := &shim{cfg: cfg, attachers: map[*attacher]struct{}{}, exited: make(chan struct{})}
	var closers []io.Closer // the container's ends, closed once it holds them
	defer func() {
		for _, c := range closers {
			c.Close()
		}
		if retErr != nil {
			s.closeAll()
		}
	}()

	sock := filepath.Join(cfg.StateDir, sockName)
	_ = os.Remove(sock)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	s.ln = ln
	if err := os.WriteFile(filepath.Join(cfg.StateDir, pidName), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	if s.log, err = logger.OpenRotating(cfg.LogPath, cfg.LogRotate); err != nil {
		return nil, err
	}

	opts := libct.CreateOpts{ID: cfg.ID, Root: filepath.Join(cfg.StateDir, libctName), Bundle: cfg.Bundle}
	var outR, errR *os.File
	var consoleSock *os.File
	if cfg.Terminal {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		consoleSock = os.NewFile(uintptr(fds[0]), "console")
		defer consoleSock.Close()
		opts.ConsoleSocket = os.NewFile(uintptr(fds[1]), "console-child")
		closers = append(closers, opts.ConsoleSocket)
	} else {
		if cfg.OpenStdin {
			r, w, err := os.Pipe()
			if err != nil {
				return nil, err
			}
			opts.Stdin, s.stdin = r, w
			closers = append(closers, r)
		} else if opts.Stdin, err = os.Open(os.DevNull); err == nil {
			closers = append(closers, opts.Stdin)
		} else {
			return nil, err
		}
		if outR, opts.Stdout, err = os.Pipe(); err != nil {
			return nil, err
		}
		closers = append(closers, opts.Stdout)
		if errR, opts.Stderr, err = os.Pipe(); err != nil {
			outR.Close()
			return nil, err
		}
		closers = append(closers, opts.Stderr)
	}

	ct, err := libct.Create(opts)
	if err != nil {
		if outR != nil {
			outR.Close()
			errR.Close()
		}
		return nil, err
	}
	s.ct = ct
	defer func() {
		if retErr != nil {
			_ = ct.Signal(unix.SIGKILL)
			_, _ = ct.Wait()
			_ = ct.Destroy()
		}
	}()

	if cfg.Terminal {
		opts.ConsoleSocket.Close() // init has sent the master by now
		closers = closers[:0]
		master, err := recvFd(consoleSock)
		if err != nil {
			return nil, fmt.Errorf("receive pty master: %w", err)
		}
		s.console = master
		if cfg.OpenStdin {
			s.stdin = master
		}
		s.pumps.Add(1)
		go s.pump(master, frameStdout, "stdout")
	} else {
		s.pumps.Add(2)
		go s.pump(outR, frameStdout, "stdout")
		go s.pump(errR, frameStderr, "stderr")
	}
	go s.reap()
	return s, nil
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
		for i, fd := range fds[1:] {
			unix.Close(fd)
			_ = i
		}
		if len(fds) > 0 {
			return os.NewFile(uintptr(fds[0]), string(buf[:n])), nil
		}
	}
	return nil, errors.New("no file descriptor received")
}

// closeAll releases the shim's resources after a failed creation.
func (s *shim) closeAll() {
	if s.ln != nil {
		s.ln.Close()
	}
	if s.log != nil {
		s.log.Close()
	}
	if s.stdin != nil {
		s.stdin.Close()
	}
}

// pump copies one output stream to the log first, then to the attachers.
func (s *shim) pump(r *os.File, kind byte, stream string) {
	defer s.pumps.Done()
	lw := logger.NewLineWriter(s.log, stream)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := lw.Write(buf[:n]); werr != nil {
				slog.Error("write log", "err", werr)
			}
			s.broadcast(makeFrame(kind, buf[:n]))
		}
		if err != nil { // EOF, or EIO from a pty whose last slave closed
			break
		}
	}
	if err := lw.Close(); err != nil {
		slog.Error("write log", "err", err)
	}
	r.Close()
}

// reap waits for the container's init, waits (bounded) for its output to
// drain, records the exit and answers waiters.
func (s *shim) reap() {
	ws, err := s.ct.Wait()
	at := time.Now().UTC()
	if err != nil {
		slog.Error("wait", "err", err)
	}
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	drained := make(chan struct{})
	go func() { s.pumps.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(2 * time.Second): // a process outside the pid namespace keeps the pipe open
		slog.Warn("output not drained after exit")
	}
	s.mu.Lock()
	s.outDone = true
	for a := range s.attachers {
		a.end()
	}
	s.mu.Unlock()
	s.exit = Exit{Code: code, ExitedAt: at, OOMKilled: s.ct.OOMKilled()}
	if err := writeExit(s.cfg.StateDir, s.exit); err != nil {
		slog.Error("record exit", "err", err)
	}
	close(s.exited)
}

// broadcast hands a frame to every attacher. A full attacher gets a bounded
// grace period; one that stays full is dropped, so a stuck client cannot
// stall the container for long.
func (s *shim) broadcast(frame []byte) {
	s.mu.Lock()
	if len(s.attachers) == 0 {
		s.mu.Unlock()
		return
	}
	list := make([]*attacher, 0, len(s.attachers))
	for a := range s.attachers {
		list = append(list, a)
	}
	s.mu.Unlock()
	for _, a := range list {
		a.send(frame)
	}
}

const (
	attacherQueue = 64              // frames (each ≤ 32 KiB)
	slowAttacher  = 5 * time.Second // how long the container may wait for one attacher
)

type attacher struct {
	conn     net.Conn
	ch       chan []byte
	once     sync.Once // end
	killOnce sync.Once
	dead     chan struct{}
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
		go a.send(makeFrame(frameEnd, nil))
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
			if _, err := a.conn.Write(f); err != nil || f[0] == frameEnd {
				return
			}
		case <-a.dead:
			return
		}
	}
}

func (s *shim) serve() int {
	defer s.log.Close()
	if s.cfg.IdleExit >= 0 {
		go s.idleWatch()
	}
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return 0
			}
			slog.Error("accept", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		go s.handle(c)
	}
}

// idleWatch makes a shim whose container has exited and that nobody talks
// to clean up and exit (exit.json stays for the daemon).
func (s *shim) idleWatch() {
	<-s.exited
	s.mu.Lock()
	if s.idleSince.IsZero() {
		s.idleSince = time.Now()
	}
	s.mu.Unlock()
	for {
		time.Sleep(min(s.cfg.IdleExit/4+time.Millisecond, 10*time.Second))
		s.mu.Lock()
		idle := s.conns == 0 && time.Since(s.idleSince) >= s.cfg.IdleExit
		s.mu.Unlock()
		if idle {
			slog.Info("idle after exit: cleaning up")
			s.cleanup(true)
			os.Exit(0)
		}
	}
}

// cleanup destroys the container and removes the state, keeping exit.json
// when keepExit is set.
func (s *shim) cleanup(keepExit bool) {
	if err := s.ct.Destroy(); err != nil {
		slog.Error("destroy", "err", err)
	}
	s.ln.Close()
	if !keepExit {
		if err := os.RemoveAll(s.cfg.StateDir); err != nil {
			slog.Error("remove state", "err", err)
		}
		return
	}
	ents, _ := os.ReadDir(s.cfg.StateDir)
	for _, e := range ents {
		if e.Name() != exitName {
			_ = os.RemoveAll(filepath.Join(s.cfg.StateDir, e.Name()))
		}
	}
}

func (s *shim) handle(c *net.UnixConn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		s.conns--
		if s.conns == 0 {
			s.idleSince = time.Now()
		}
		s.mu.Unlock()
	}()
	br := bufio.NewReaderSize(c, 4096)
	line, err := br.ReadSlice('\n')
	if err != nil {
		return
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		reply(c, errResponse(errdefs.InvalidParameter("shim protocol: %v", err)))
		return
	}
	if req.Exec != "" || req.Op == opExec || req.Op == opPids {
		s.handleExec(c, br, req)
		return
	}
	switch req.Op {
	case opState:
		r := response{Pid: s.ct.Pid()}
		select {
		case <-s.exited:
			r.Exited, r.Exit = true, &s.exit
		default:
		}
		reply(c, r)
	case opStart:
		reply(c, s.start())
	case opAttach:
		s.attach(c, br, req.Stdin)
	case opResize:
		reply(c, s.resize(req.Height, req.Width))
	case opKill:
		reply(c, s.kill(unix.Signal(req.Signal)))
	case opWait:
		s.wait(c)
	case opShutdown:
		s.shutdown(c)
	default:
		reply(c, errResponse(errdefs.InvalidParameter("shim protocol: unknown op %q", req.Op)))
	}
}

func reply(w io.Writer, r response) {
	b, _ := json.Marshal(r)
	_, _ = w.Write(append(b, '\n'))
}

func (s *shim) start() response {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.exited:
		return errResponse(errdefs.Conflict("container %s has exited", s.cfg.ID))
	default:
	}
	if s.started {
		return errResponse(errdefs.Conflict("container %s is already running", s.cfg.ID))
	}
	if err := s.ct.Exec(); err != nil {
		return errResponse(err)
	}
	s.started = true
	return response{Pid: s.ct.Pid()}
}

func (s *shim) resize(h, w uint) response {
	if s.console == nil {
		return response{}
	}
	ws := &unix.Winsize{Row: uint16(h), Col: uint16(w)}
	if err := unix.IoctlSetWinsize(int(s.console.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		return errResponse(fmt.Errorf("resize: %w", err))
	}
	return response{}
}

func (s *shim) kill(sig unix.Signal) response {
	select {
	case <-s.exited:
		return errResponse(errdefs.Conflict("container %s is not running", s.cfg.ID))
	default:
	}
	if err := s.ct.Signal(sig); err != nil {
		if errors.Is(err, os.ErrProcessDone) {
			return errResponse(errdefs.Conflict("container %s is not running", s.cfg.ID))
		}
		return errResponse(err)
	}
	return response{}
}

// wait answers once the container has exited, or gives up when the client
// goes away.
func (s *shim) wait(c *net.UnixConn) {
	gone := make(chan struct{})
	go func() {
		var b [1]byte
		_, _ = c.Read(b[:]) // returns when the client closes
		close(gone)
	}()
	select {
	case <-s.exited:
		e := s.exit
		reply(c, response{Exited: true, Exit: &e})
	case <-gone:
	}
}

func (s *shim) shutdown(c *net.UnixConn) {
	select {
	case <-s.exited:
	default:
		reply(c, errResponse(errdefs.Conflict("container %s is running", s.cfg.ID)))
		return
	}
	// Attachers get the rest of the output before the shim goes away.
	flushed := make(chan struct{})
	go func() { s.writers.Wait(); close(flushed) }()
	select {
	case <-flushed:
	case <-time.After(2 * time.Second):
		slog.Warn("attachers not flushed before shutdown")
	}
	s.cleanup(false)
	reply(c, response{})
	// The client reads until EOF: the connection closes when this process is gone.
	os.Exit(0)
}

func (s *shim) attach(c *net.UnixConn, br *bufio.Reader, withStdin bool) {
	a := &attacher{conn: c, ch: make(chan []byte, attacherQueue), dead: make(chan struct{})}
	s.mu.Lock()
	reply(c, response{Pid: s.ct.Pid()}) // under the lock: no frame can precede the reply
	if s.outDone {
		s.mu.Unlock()
		_, _ = c.Write(makeFrame(frameEnd, nil))
		return
	}
	s.attachers[a] = struct{}{}
	s.writers.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.writers.Done()
		a.writeLoop()
	}()
	defer func() {
		s.mu.Lock()
		delete(s.attachers, a)
		s.mu.Unlock()
	}()

	if !withStdin {
		readInput(br, a, func([]byte) {}, func() {})
		return
	}
	readInput(br, a, s.writeStdin, func() {
		if s.cfg.StdinOnce {
			s.closeStdin()
		}
	})
}

// readInput feeds an attacher's stdin frames to write and its end of
// input to eof, until the client detaches or goes away (the attacher's
// writer then ends on its own).
func readInput(br *bufio.Reader, a *attacher, write func([]byte), eof func()) {
	buf := make([]byte, 32<<10)
	for {
		kind, p, err := readFrame(br, buf)
		if err != nil {
			a.kill()
			return
		}
		switch kind {
		case frameStdin:
			write(p)
		case frameStdinEOF:
			eof()
		}
	}
}

func (s *shim) writeStdin(p []byte) {
	s.mu.Lock()
	w := s.stdin
	shut := s.stdinShut
	s.mu.Unlock()
	if w == nil || shut {
		return
	}
	_, _ = w.Write(p) // may block while the container does not read: only this attacher waits
}

func (s *shim) closeStdin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stdinShut || s.stdin == nil {
		return
	}
	s.stdinShut = true
	if s.console == nil { // a pty stays open (Docker does not send EOF to a terminal either)
		s.stdin.Close()
	}
}
