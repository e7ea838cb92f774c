package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tug-project/tug/internal/trace"
)

// daemonProc is a daemon process this program started.
type daemonProc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startDaemon starts a daemon in its own process group with output to logPath.
func startDaemon(name, logPath string, env []string, argv ...string) (*daemonProc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	// Own process group: a Ctrl-C in the terminal reaches us, not the
	// daemon; we stop it in order. Pdeathsig covers us being killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &daemonProc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *daemonProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// logTail returns the last lines of the daemon's log.
func (p *daemonProc) logTail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// stop sends SIGTERM and waits, then SIGKILL after grace.
func (p *daemonProc) stop(grace time.Duration) {
	if p == nil || p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		slog.Warn("daemon did not stop on SIGTERM; killing it", "daemon", p.name, "pid", p.cmd.Process.Pid)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// waitReady polls ready until it succeeds, the daemon exits, or timeout.
func waitReady(ctx context.Context, p *daemonProc, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = ready(); err == nil {
			return nil
		}
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited during start-up; log:\n%s", p.name, p.logTail(15))
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	msg := fmt.Sprintf("not ready after %v: %v", timeout, err)
	if p != nil {
		msg += "\nlog:\n" + p.logTail(15)
	}
	return errors.New(msg)
}

// tugSide is tug's engine plus what it takes to tear it down.
type tugSide struct {
	*engine
	tugd     string
	shim     string // tug-shim, next to tugd
	monitor  string // tug-monitor, what each shim becomes once its container is created
	dir      string // temp dir: socket, data root, logs
	execRoot string
	daemon   *daemonProc
}

// setupTug starts a private tugd (with extra flags, if any) and imports
// busybox into it. On error the returned side is still non-nil so that
// teardown can clean up.
func setupTug(ctx context.Context, binDir string, tarball []byte, extra ...string) (*tugSide, error) {
	s := &tugSide{engine: &engine{name: "tug", image: "busybox"}}
	s.tugd = resolve(filepath.Join(binDir, "tugd"))
	s.shim = resolve(filepath.Join(binDir, "tug-shim"))
	s.monitor = resolve(filepath.Join(binDir, "tug-monitor"))
	s.cli = resolve(filepath.Join(binDir, "tug"))
	for _, b := range []string{s.tugd, s.shim, s.monitor, s.cli} {
		if _, err := os.Stat(b); err != nil {
			return s, fmt.Errorf("%v (run `make build` first, or pass -bin)", err)
		}
	}
	var err error
	if s.dir, err = os.MkdirTemp("", "tugbench-"); err != nil {
		return s, err
	}
	// Unix socket paths are limited to 108 bytes: keep the exec root short.
	if s.execRoot, err = os.MkdirTemp("", "tbx"); err != nil {
		return s, err
	}
	// The data root must be reachable by a remapped root (userns-remap).
	if err := os.Chmod(s.dir, 0o711); err != nil {
		return s, err
	}
	socket := filepath.Join(s.dir, "tug.sock")
	s.host = "unix://" + socket
	s.env = cliEnv()
	s.trace = filepath.Join(s.dir, "trace.jsonl")
	s.daemon, err = startDaemon("tugd", filepath.Join(s.dir, "tugd.log"), []string{trace.Env + "=" + s.trace},
		append([]string{s.tugd, "-H", s.host, "--data-root", filepath.Join(s.dir, "root"), "--exec-root", s.execRoot}, extra...)...)
	if err != nil {
		return s, err
	}
	pid := s.daemon.cmd.Process.Pid
	s.daemonPIDs = func() ([]int, error) {
		if s.daemon.exited() {
			return nil, errors.New("tugd has exited")
		}
		// tugd and its warm shim (internal/runtime.Pool), which is the
		// daemon's, not a container's.
		return append([]int{pid}, s.findWarmShims()...), nil
	}
	s.shimPIDs = s.findShims
	if err := waitReady(ctx, s.daemon, 20*time.Second, func() error {
		_, err := s.run(ctx, nil, "version")
		return err
	}); err != nil {
		return s, fmt.Errorf("tugd: %w", err)
	}
	if _, err := s.run(ctx, bytes.NewReader(tarball), "import", "-", s.image); err != nil {
		return s, err
	}
	return s, nil
}

// findShims returns the shims of this tugd that belong to the given
// containers: `<tug-shim> shim ...` while it creates the container,
// `<tug-monitor> monitor ...` once it has become the monitor; the command
// line names our exec root, data root or the container.
func (s *tugSide) findShims(ids []string) []int {
	return findPIDs(func(pid int, argv []string) bool {
		if len(argv) < 2 {
			return false
		}
		if !(argv[1] == "shim" && resolve(argv[0]) == s.shim) && !(argv[1] == "monitor" && resolve(argv[0]) == s.monitor) {
			return false
		}
		if len(argv) > 2 && argv[2] == "--warm" {
			return false // the daemon's warm shim: no container's yet
		}
		line := strings.Join(argv, " ")
		if strings.Contains(line, s.execRoot) || strings.Contains(line, s.dir) {
			return true
		}
		return slices.ContainsFunc(ids, func(id string) bool { return strings.Contains(line, id) })
	})
}

// findWarmShims returns this tugd's warm shim, waiting for the next
// start: `<tug-shim> shim --warm <exec root>`.
func (s *tugSide) findWarmShims() []int {
	return findPIDs(func(pid int, argv []string) bool {
		return len(argv) > 3 && argv[1] == "shim" && argv[2] == "--warm" && argv[3] == s.execRoot && resolve(argv[0]) == s.shim
	})
}

// teardown stops tugd, kills shims it left, and removes the temp dirs.
func (s *tugSide) teardown(ctx context.Context) []error {
	var errs []error
	if s.daemon != nil && s.daemon.exited() && s.err == nil {
		errs = append(errs, fmt.Errorf("tugd exited during the benchmark (%v); log:\n%s", s.daemon.cmd.ProcessState, s.daemon.logTail(20)))
	}
	if s.daemon != nil && !s.daemon.exited() {
		if err := s.removeAll(ctx); err != nil {
			errs = append(errs, fmt.Errorf("tug cleanup: %w", err))
		}
	}
	s.daemon.stop(15 * time.Second)
	if s.execRoot != "" {
		// Shims outlive tugd by design; any left here belong to containers
		// this program started and failed to remove.
		if left := s.findShims(nil); len(left) > 0 {
			errs = append(errs, fmt.Errorf("tug cleanup: killing %d leftover shim(s) %v", len(left), left))
			for _, pid := range left {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for _, d := range []string{s.execRoot, s.dir} {
		if err := removeTree(d); err != nil {
			errs = append(errs, fmt.Errorf("tug cleanup: %w", err))
		}
	}
	return errs
}

// dockerSide is docker's engine plus, if this program started them, the
// dockerd and containerd processes.
type dockerSide struct {
	*engine
	containerdSock string
	dir, execDir   string
	dockerd        *daemonProc
	containerd     *daemonProc
	imported       bool
}

const systemDockerSock = "/var/run/docker.sock"

func findBinary(name string, dirs ...string) string {
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// setupDocker finds a running Docker daemon, or starts one (mode "auto" when
// none is running, mode "own" always, with the extra dockerd flags), and
// imports busybox into it.
func setupDocker(ctx context.Context, mode string, tarball []byte, extra ...string) (*dockerSide, error) {
	s := &dockerSide{engine: &engine{name: "docker", image: "busybox-bench"}}
	s.cli = findBinary("docker", "/usr/local/bin", "/usr/bin")
	if s.cli == "" {
		return s, errors.New("no docker CLI (looked in /usr/local/bin, /usr/bin, $PATH)")
	}
	var err error
	if s.dir, err = os.MkdirTemp("", "tugbench-docker-"); err != nil {
		return s, err
	}
	cfg := filepath.Join(s.dir, "cli-config")
	if err := os.Mkdir(cfg, 0o700); err != nil {
		return s, err
	}
	s.env = cliEnv("DOCKER_CONFIG="+cfg, "DOCKER_CLI_HINTS=false")

	useSystem := false
	if mode == "auto" {
		s.host = "unix://" + systemDockerSock
		if _, err := os.Stat(systemDockerSock); err == nil {
			if _, err := s.run(ctx, nil, "version", "--format", "{{.Server.Version}}"); err == nil {
				useSystem = true
			} else {
				slog.Info("docker socket present but no daemon answers; trying to start one", "err", err)
			}
		}
	}
	if useSystem {
		s.daemonPIDs = s.systemDaemonPIDs
		fmt.Fprintf(os.Stderr, "docker: using the running daemon at %s\n", systemDockerSock)
	} else if err := s.startOwn(ctx, extra...); err != nil {
		return s, err
	}
	s.shimPIDs = s.findShims
	if _, err := s.run(ctx, bytes.NewReader(tarball), "import", "-", s.image); err != nil {
		return s, err
	}
	s.imported = true
	return s, nil
}

// startOwn starts containerd and dockerd on private sockets and roots.
func (s *dockerSide) startOwn(ctx context.Context, extra ...string) error {
	dockerd := findBinary("dockerd", "/usr/sbin", "/usr/bin", "/usr/local/bin")
	containerd := findBinary("containerd", "/usr/bin", "/usr/sbin", "/usr/local/bin")
	if dockerd == "" || containerd == "" {
		return errors.New("no running Docker daemon, and no dockerd/containerd binaries to start one (apt-get install docker.io)")
	}
	var err error
	if s.execDir, err = os.MkdirTemp("", "tbd"); err != nil {
		return err
	}
	s.containerdSock = filepath.Join(s.execDir, "containerd.sock")
	// A config of our own, so /etc/containerd/config.toml (CRI plugin and
	// all) does not apply; CRI is not what dockerd uses.
	conf := filepath.Join(s.dir, "containerd.toml")
	body := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = %q\n",
		filepath.Join(s.dir, "containerd-root"), filepath.Join(s.execDir, "containerd-state"), s.containerdSock)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "docker: starting containerd and dockerd (logs in %s)\n", s.dir)
	if s.containerd, err = startDaemon("containerd", filepath.Join(s.dir, "containerd.log"), nil, containerd, "--config", conf); err != nil {
		return err
	}
	if err := waitReady(ctx, s.containerd, 30*time.Second, func() error {
		c, err := net.Dial("unix", s.containerdSock)
		if err == nil {
			c.Close()
		}
		return err
	}); err != nil {
		return fmt.Errorf("containerd: %w", err)
	}
	sock := filepath.Join(s.execDir, "docker.sock")
	s.host = "unix://" + sock
	args := []string{dockerd, "-H", s.host, "--containerd", s.containerdSock,
		"--data-root", filepath.Join(s.dir, "docker-root"), "--exec-root", filepath.Join(s.execDir, "docker-exec"),
		"--pidfile", filepath.Join(s.dir, "dockerd.pid")}
	if pid, err := peerPID(systemDockerSock); err == nil && comm(pid) == "dockerd" {
		// Another dockerd owns docker0 and its iptables chains: share the
		// bridge without touching its rules or handing out its addresses.
		args = append(args, "--iptables=false")
		if cidr := upperHalf("docker0"); cidr != "" {
			args = append(args, "--fixed-cidr", cidr)
		}
	}
	// The data root must be reachable by a remapped root (--userns-remap).
	if err := os.Chmod(s.dir, 0o711); err != nil {
		return err
	}
	args = append(args, extra...)
	if s.dockerd, err = startDaemon("dockerd", filepath.Join(s.dir, "dockerd.log"), nil, args...); err != nil {
		return err
	}
	if err := waitReady(ctx, s.dockerd, 60*time.Second, func() error {
		_, err := s.run(ctx, nil, "version", "--format", "{{.Server.Version}}")
		return err
	}); err != nil {
		return fmt.Errorf("dockerd: %w", err)
	}
	s.daemonPIDs = func() ([]int, error) {
		if s.dockerd.exited() || s.containerd.exited() {
			return nil, errors.New("dockerd or containerd has exited")
		}
		return []int{s.dockerd.cmd.Process.Pid, s.containerd.cmd.Process.Pid}, nil
	}
	return nil
}

// upperHalf returns the upper half of a bridge's IPv4 subnet ("" if none),
// so our dockerd's containers never take an address the other one gave out.
func upperHalf(bridge string) string {
	ifc, err := net.InterfaceByName(bridge)
	if err != nil {
		return ""
	}
	addrs, _ := ifc.Addrs()
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.To4() == nil {
			continue
		}
		ones, _ := ipn.Mask.Size()
		if ones > 24 {
			return ""
		}
		ip := ipn.IP.To4().Mask(ipn.Mask)
		half := ones + 1
		// Set the first host bit of the subnet: the upper half.
		byteIdx, bit := ones/8, 7-ones%8
		ip[byteIdx] |= 1 << bit
		return fmt.Sprintf("%s/%d", ip, half)
	}
	return ""
}

// systemDaemonPIDs finds the running dockerd (the peer of its socket) and
// the containerd it talks to.
func (s *dockerSide) systemDaemonPIDs() ([]int, error) {
	dpid, err := peerPID(systemDockerSock)
	if err != nil {
		return nil, fmt.Errorf("finding dockerd: %w", err)
	}
	socks := []string{"/run/containerd/containerd.sock", "/var/run/docker/containerd/containerd.sock"}
	argv := cmdline(dpid)
	for i, a := range argv {
		if v, ok := strings.CutPrefix(a, "--containerd="); ok {
			socks = append([]string{v}, socks...)
		} else if a == "--containerd" && i+1 < len(argv) {
			socks = append([]string{argv[i+1]}, socks...)
		}
	}
	for _, sock := range socks {
		if cpid, err := peerPID(sock); err == nil && comm(cpid) == "containerd" {
			return []int{dpid, cpid}, nil
		}
	}
	return []int{dpid}, errors.New("found dockerd but not its containerd")
}

// findShims returns the containerd-shim-runc-v2 processes serving the given
// containers (the shim's argv has `-id <container ID>`).
func (s *dockerSide) findShims(ids []string) []int {
	return findPIDs(func(pid int, argv []string) bool {
		if !strings.HasPrefix(filepath.Base(argv[0]), "containerd-shim") {
			return false
		}
		for i, a := range argv {
			if (a == "-id" || a == "--id") && i+1 < len(argv) && slices.Contains(ids, argv[i+1]) {
				return true
			}
		}
		return false
	})
}

// teardown removes our containers and image, stops the daemons we started
// and removes the temp dirs.
func (s *dockerSide) teardown(ctx context.Context) []error {
	var errs []error
	for _, p := range []*daemonProc{s.dockerd, s.containerd} {
		if p != nil && p.exited() && s.err == nil {
			errs = append(errs, fmt.Errorf("%s exited during the benchmark (%v); log:\n%s", p.name, p.cmd.ProcessState, p.logTail(20)))
		}
	}
	running := s.host != "" && (s.dockerd == nil || !s.dockerd.exited())
	if running && s.daemonPIDs != nil {
		if err := s.removeAll(ctx); err != nil {
			errs = append(errs, fmt.Errorf("docker cleanup: %w", err))
		}
		if s.imported {
			// A run killed mid-way (interrupt, timeout) can leave a
			// container with no name we know; the image tag is ours.
			if out, err := s.run(ctx, nil, "ps", "-aq", "--no-trunc", "--filter", "ancestor="+s.image); err == nil && out != "" {
				if err := s.removeContainers(ctx, strings.Fields(out)); err != nil {
					errs = append(errs, fmt.Errorf("docker cleanup: %w", err))
				}
			}
			if _, err := s.run(ctx, nil, "rmi", s.image); err != nil {
				errs = append(errs, fmt.Errorf("docker cleanup: %w", err))
			}
		}
	}
	s.dockerd.stop(30 * time.Second)
	s.containerd.stop(15 * time.Second)
	if s.containerdSock != "" {
		// Shims of our containerd that outlived it.
		left := findPIDs(func(pid int, argv []string) bool {
			return strings.HasPrefix(filepath.Base(argv[0]), "containerd-shim") && slices.Contains(argv, s.containerdSock)
		})
		if len(left) > 0 {
			errs = append(errs, fmt.Errorf("docker cleanup: killing %d leftover shim(s) %v", len(left), left))
			for _, pid := range left {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for _, d := range []string{s.execDir, s.dir} {
		if err := removeTree(d); err != nil {
			errs = append(errs, fmt.Errorf("docker cleanup: %w", err))
		}
	}
	return errs
}
