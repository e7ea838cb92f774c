package libcontainer

import (
	"os"
	"runtime"
	"syscall"

	"github.com/opencontainers/cgroups"
	"golang.org/x/sys/unix"
)

// startInCgroups (a tug addition) starts the init already inside its
// cgroups where that is cheap, and reports whether it did; otherwise it
// starts it like upstream does and the caller joins it with Apply.
//
// Why: on cgroup v1, writing a pid to cgroup.procs takes the kernel's
// global cgroup_threadgroup_rwsem for writing, whose first writer waits
// for an RCU grace period (7-12 ms on a 2-CPU VM, a fifth of a container
// start). A thread that moves itself (writes 0 to a hierarchy's `tasks`)
// does not take that lock, and a process forked by a thread starts in the
// thread's cgroups. So a locked OS thread creates the cgroups (Apply(-1):
// the same directories and cpuset set-up), moves itself into each v1
// hierarchy, and forks the init; the v2 hierarchy of a hybrid host is
// joined at the fork with CLONE_INTO_CGROUP. The thread is never unlocked,
// so it exits with its goroutine and nothing else ever runs in the
// container's cgroups. Any failure falls back to the upstream way.
//
// Only for the cgroupfs manager on cgroup v1 or hybrid, as root, and
// without a parent death signal (which follows the forking thread).
func (p *initProcess) startInCgroups() (joined bool, err error) {
	c := p.config.Config
	if cgroups.IsCgroup2UnifiedMode() || c.Cgroups == nil || c.Cgroups.Systemd ||
		c.RootlessCgroups || c.RootlessEUID || c.ParentDeathSignal != 0 {
		return false, p.cmd.Start()
	}
	// What Apply(-1) created goes if the init does not start (upstream
	// creates nothing before it has started).
	defer func() {
		if err != nil {
			_ = p.manager.Destroy()
		}
	}()
	if err := p.manager.Apply(-1); err != nil {
		return false, p.cmd.Start() // Apply(pid) reports it
	}
	paths := p.manager.GetPaths()
	var v2 *os.File
	if dir := paths[""]; dir != "" {
		if v2, err = cgroups.OpenFile(dir, "", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC); err != nil {
			return false, p.cmd.Start()
		}
		defer v2.Close()
	}

	fallback := cloneCmd(p.cmd)
	type result struct {
		moved bool // the thread is in every v1 cgroup
		err   error
	}
	var r result
	onThreadOfItsOwn(func() {
		for name, dir := range paths {
			if name == "" {
				continue
			}
			if err := cgroups.WriteFile(dir, "tasks", "0"); err != nil {
				return
			}
		}
		if v2 != nil {
			var attr syscall.SysProcAttr
			if p.cmd.SysProcAttr != nil {
				attr = *p.cmd.SysProcAttr
			}
			attr.UseCgroupFD, attr.CgroupFD = true, int(v2.Fd())
			p.cmd.SysProcAttr = &attr
		}
		r = result{moved: true, err: p.cmd.Start()}
	})
	if r.moved && r.err == nil {
		return true, nil
	}
	if r.moved {
		// The fork failed (clone3 or CLONE_INTO_CGROUP refused, or the
		// exec): a started exec.Cmd cannot be reused.
		p.cmd = fallback
	}
	return false, p.cmd.Start()
}

// onThreadOfItsOwn runs f on a locked OS thread that is not the main one
// and ends that thread after f: a thread f moved into other cgroups never
// runs anything else. (Go ends a thread whose goroutine exits locked, but
// wedges the main thread instead, so f must not run there.)
func onThreadOfItsOwn(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// This goroutine holds the main thread: the next one runs on
			// another.
			onThreadOfItsOwn(f)
			runtime.UnlockOSThread()
			return
		}
		f() // never unlocked: the thread exits with this goroutine
	}()
	<-done
}
