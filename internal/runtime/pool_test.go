package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// Tests of the pool of warm shims: a container spawned from a warm shim
// is the same as a cold one's, the pool refills, a killed warm shim is
// never handed a job, and a closed pool leaves no process.

// newPool returns a pool of the test's shim binaries; at the end of the
// test it is closed and must leave no warm shim.
func newPool(t *testing.T) *Pool {
	t.Helper()
	testutil.RequiresRoot(t)
	p := NewPool(shimBinaries(t), testStateRoot)
	t.Cleanup(func() {
		p.mu.Lock()
		idle := p.idle
		p.mu.Unlock()
		p.Close()
		if idle != nil && alive(idle.cmd.Process.Pid) {
			t.Errorf("warm shim %d left after Close", idle.cmd.Process.Pid)
		}
	})
	return p
}

// waitWarm waits until the pool has a warm shim and returns it.
func waitWarm(t *testing.T, p *Pool) *shimProc {
	t.Helper()
	var s *shimProc
	testutil.Eventually(t, 10*time.Second, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		s = p.idle
		return s != nil
	})
	if s == nil {
		t.Fatal("no warm shim within 10s")
	}
	return s
}

// starts returns how many starts took a warm shim and how many were cold.
func starts(p *Pool) (warm, cold int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.warm, p.cold
}

// alive reports whether process pid exists and is not a zombie.
// threadsGone reports whether every thread of process pid has ended: its
// files (the job pipe's read end) are closed then. A killed process's
// leader shows as a zombie before its other threads have ended.
func threadsGone(pid int) bool {
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return true // reaped
	}
	for _, task := range tasks {
		if alive(pid) || task.Name() != strconv.Itoa(pid) {
			return false
		}
	}
	return true
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i >= 0 && !strings.HasPrefix(string(b[i+1:]), " Z")
}

// cmdline is process pid's command line, without the trailing empty
// arguments ps does not show either.
func cmdline(pid int) []string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	args := strings.Split(string(b), "\x00")
	for len(args) > 0 && args[len(args)-1] == "" {
		args = args[:len(args)-1]
	}
	return args
}

// The first start is cold; each start after it takes the warm shim the
// pool made meanwhile, and the container runs, prints and exits as one
// from a cold shim does: same output, exit code and nice value.
func TestWarmShimRunsContainerLikeColdOne(t *testing.T) {
	script := []string{"sh", "-c", `echo out; echo err >&2; cut -d" " -f19 /proc/self/stat; exit 3`}
	cold := setup(t, script, false)
	wantOut, wantErr, wantExit := run(t, cold, nil)
	if wantOut != "out\n0\n" || wantErr != "err\n" || wantExit.Code != 3 {
		t.Fatalf("cold run = %q, %q, %d", wantOut, wantErr, wantExit.Code)
	}

	p := newPool(t)
	for i := range 3 {
		if i > 0 {
			waitWarm(t, p)
		}
		b := setup(t, script, false)
		stdout, stderr, e := runIn(t, p, b, nil)
		if stdout != wantOut || stderr != wantErr || e.Code != wantExit.Code {
			t.Errorf("start %d: run = %q, %q, %d; want %q, %q, %d as from a cold shim", i+1, stdout, stderr, e.Code, wantOut, wantErr, wantExit.Code)
		}
	}
	if warm, cold := starts(p); warm != 2 || cold != 1 {
		t.Errorf("starts: %d warm, %d cold; want 2 warm after 1 cold", warm, cold)
	}
}

// A warm shim waits in /, in its own session, with a cold shim's
// environment, holding nothing of a container (no state dir, no cgroup);
// once it has its job ps shows the cold shim's command line.
func TestWarmShimIsColdShimWaiting(t *testing.T) {
	p := newPool(t)
	b := setup(t, []string{"sleep", "100"}, false)
	spawnIn(t, p, b) // cold: makes the first warm shim; checkClean ends it
	s := waitWarm(t, p)
	pid := s.cmd.Process.Pid
	proc := "/proc/" + strconv.Itoa(pid)

	if got, want := cmdline(pid), []string{shimBinaries(t).Shim, "shim", "--warm", testStateRoot}; !slices.Equal(got, want) {
		t.Errorf("warm shim's command line = %q, want %q", got, want)
	}
	if cwd, _ := os.Readlink(proc + "/cwd"); cwd != "/" {
		t.Errorf("cwd = %q, want /", cwd)
	}
	if sid, _ := syscall.Getpgid(pid); sid != pid {
		t.Errorf("process group = %d, want its own (%d)", sid, pid)
	}
	env, _ := os.ReadFile(proc + "/environ")
	if got := strings.Split(strings.TrimSuffix(string(env), "\x00"), "\x00"); !slices.Equal(got, shimEnv()) {
		t.Errorf("environment = %q, want a cold shim's %q", got, shimEnv())
	}
	fds, _ := os.ReadDir(proc + "/fd")
	for _, fd := range fds {
		target, _ := os.Readlink(filepath.Join(proc, "fd", fd.Name()))
		n, _ := strconv.Atoi(fd.Name())
		if (n <= 2 && target != "/dev/null") || ((n == syncFd || n == jobFd) && !strings.HasPrefix(target, "pipe:")) ||
			strings.HasPrefix(target, testStateRoot) || strings.Contains(target, "tug-test") {
			t.Errorf("warm shim holds fd %s -> %s, want /dev/null, its pipes and nothing of a container", fd.Name(), target)
		}
	}
	self, _ := os.ReadFile("/proc/self/cgroup")
	if cg, _ := os.ReadFile(proc + "/cgroup"); string(cg) != string(self) {
		t.Errorf("warm shim's cgroups = %s, want tugd's %s", cg, self)
	}

	b2 := setup(t, []string{"sleep", "100"}, false)
	spawnIn(t, p, b2)
	if warm, _ := starts(p); warm != 1 {
		t.Fatalf("second start did not take the warm shim")
	}
	// Until the start the shim serves the container (startWindow), then
	// it executes the monitor.
	want := append([]string{shimBinaries(t).Shim, "shim"}, shimArgs(shimBinaries(t), b2.cfg)...)
	if got := cmdline(pid); !slices.Equal(got, want) && (len(got) < 2 || got[1] != "monitor") {
		t.Errorf("taken warm shim's command line = %q, want a cold shim's %q", got, want)
	}
}

// Starts at the same time as the warm shim is taken get cold shims; all
// the containers run.
func TestConcurrentStartsWithOneWarmShim(t *testing.T) {
	p := newPool(t)
	_, _, _ = runIn(t, p, setup(t, []string{"true"}, false), nil)
	waitWarm(t, p)
	var wg sync.WaitGroup
	for i := range 3 {
		b := setup(t, []string{"sh", "-c", "echo " + strconv.Itoa(i)}, false)
		wg.Go(func() {
			stdout, _, e := runIn(t, p, b, nil)
			if stdout != strconv.Itoa(i)+"\n" || e.Code != 0 {
				t.Errorf("container %d: %q, exit %d", i, stdout, e.Code)
			}
		})
	}
	wg.Wait()
	if warm, cold := starts(p); warm < 1 || warm+cold != 4 {
		t.Errorf("starts: %d warm, %d cold; want 4 with at least 1 warm", warm, cold)
	}
}

// A warm shim killed while it waits is noticed: the next start is cold,
// and starts a replacement that the start after it takes.
func TestKilledWarmShimFallsBackToColdStart(t *testing.T) {
	p := newPool(t)
	p.minLife = time.Hour // not replaced before the next start
	_, _, _ = runIn(t, p, setup(t, []string{"true"}, false), nil)
	s := waitWarm(t, p)
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.idle == nil
	})

	stdout, _, e := runIn(t, p, setup(t, []string{"echo", "cold"}, false), nil)
	if stdout != "cold\n" || e.Code != 0 {
		t.Errorf("start after the kill: %q, exit %d", stdout, e.Code)
	}
	if warm, cold := starts(p); warm != 0 || cold != 2 {
		t.Errorf("starts: %d warm, %d cold; want the start after the kill cold", warm, cold)
	}
	if s2 := waitWarm(t, p); s2 == s {
		t.Fatal("the killed warm shim is still in the pool")
	}
	stdout, _, _ = runIn(t, p, setup(t, []string{"echo", "warm"}, false), nil)
	if warm, _ := starts(p); warm != 1 || stdout != "warm\n" {
		t.Errorf("start after the replacement: %q, %d warm; want it warm", stdout, warm)
	}
}

// A warm shim killed after waiting a while is replaced at once.
func TestKilledWarmShimIsReplaced(t *testing.T) {
	p := newPool(t)
	p.minLife = 0
	_, _, _ = runIn(t, p, setup(t, []string{"true"}, false), nil)
	s := waitWarm(t, p)
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	var s2 *shimProc
	testutil.Eventually(t, 10*time.Second, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		s2 = p.idle
		return s2 != nil && s2 != s
	})
	if s2 == nil || s2 == s || !alive(s2.cmd.Process.Pid) {
		t.Fatalf("killed warm shim not replaced")
	}
}

// A killed warm shim, reaped or not yet, refuses its job.
func TestKilledWarmShimIsNotHandedAJob(t *testing.T) {
	testutil.RequiresRoot(t)
	s, err := startShim(shimBinaries(t), []string{"shim", "--warm"}, shimEnv(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.dismiss()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() bool { return threadsGone(s.cmd.Process.Pid) })
	if err := s.hand(shimJob{Args: []string{"--id", "x"}}); !errors.Is(err, errWarmGone) {
		t.Errorf("hand() to a killed shim = %v, want %v", err, errWarmGone)
	}
}

// Closing the pool ends its warm shim (exit status 0, having made
// nothing) before Close returns; starts after it are cold and make none.
func TestClosedPoolLeavesNoShim(t *testing.T) {
	p := newPool(t)
	_, _, _ = runIn(t, p, setup(t, []string{"true"}, false), nil)
	s := waitWarm(t, p)
	p.Close()
	if !s.dead() || alive(s.cmd.Process.Pid) {
		t.Fatalf("warm shim %d still there after Close", s.cmd.Process.Pid)
	}
	if s.status.Signaled() || s.status.ExitStatus() != 0 {
		t.Errorf("warm shim ended with %v, want exit status 0", s.status)
	}
	stdout, _, _ := runIn(t, p, setup(t, []string{"echo", "after"}, false), nil)
	if stdout != "after\n" {
		t.Errorf("start after Close: %q", stdout)
	}
	p.mu.Lock()
	idle, filling := p.idle, p.filling
	p.mu.Unlock()
	if idle != nil || filling {
		t.Errorf("closed pool made a warm shim")
	}
}
