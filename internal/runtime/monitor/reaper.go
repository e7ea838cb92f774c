package monitor

import (
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// reaper reaps every child of the monitor: the container's init, the
// helpers it runs, the exec processes helpers leave to it (the monitor is
// a child subreaper) and orphans of a container that shares the host's
// pid namespace. Nothing else in the monitor may wait for a child. A pid
// is watched before it can be reaped (see watch and spawn), so a status
// nobody watches belongs to a process nobody cares about.
type reaper struct {
	mu      sync.Mutex
	waiters map[int]chan unix.WaitStatus
}

// newReaper starts reaping; the pids given are watched from the start.
func newReaper(pids ...int) (*reaper, []<-chan unix.WaitStatus) {
	r := &reaper{waiters: map[int]chan unix.WaitStatus{}}
	var chans []<-chan unix.WaitStatus
	for _, pid := range pids {
		chans = append(chans, r.watch(pid))
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGCHLD)
	go func() {
		r.reap() // children that ended before the handler was set
		for range sigs {
			r.reap()
		}
	}()
	return r, chans
}

// reap collects every child that has ended.
func (r *reaper) reap() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		r.mu.Lock()
		if ch, ok := r.waiters[pid]; ok {
			delete(r.waiters, pid)
			ch <- ws
		}
		r.mu.Unlock()
	}
}

// watch returns a channel that receives pid's wait status once it is
// reaped. pid must not be reapable yet: the init before the reaper runs,
// a process whose parent, a helper, has not exited.
func (r *reaper) watch(pid int) <-chan unix.WaitStatus {
	ch := make(chan unix.WaitStatus, 1)
	r.mu.Lock()
	r.waiters[pid] = ch
	r.mu.Unlock()
	return ch
}

// spawn starts a child with start and watches it: the reaper cannot
// dispatch its status before it is watched.
func (r *reaper) spawn(start func() (int, error)) (int, <-chan unix.WaitStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := start()
	if err != nil {
		return 0, nil, err
	}
	ch := make(chan unix.WaitStatus, 1)
	r.waiters[pid] = ch
	return pid, ch, nil
}
