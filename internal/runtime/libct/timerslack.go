package libct

import (
	"os"
	"strconv"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"
)

// Timer slack. A Go program's sysmon thread wakes every 20 µs while one of
// its threads is blocked in a system call (it takes the P away from it), and
// the shim and the init block in hundreds of them; each wake arms a timer,
// which on this VM costs ~14 µs of CPU and sleeps ~110 µs (the timer is
// the hypervisor's). With a timer slack of raisedSlack those wakes are ~2 ms
// apart: measured, in runs alternated with a daemon without it, 5.5 ms of
// CPU and 2.2–2.7 ms less per `run --rm` (tugd raising its own measured no
// better). Only tug's processes on a container's path run with it: the
// container's processes get the slack the shim was started with (tugd's,
// as Docker's get containerd's). RaiseTimerSlack records it in slackEnv,
// which the monitor, its helpers and libcontainer (PassEnv) pass on, and
// the init sets it back just before it executes the container's process.

// slackEnv holds the timer slack (ns) of the container's processes.
const slackEnv = "_TUG_TIMERSLACK"

// raisedSlack is the timer slack of tug's shim, monitor, helpers and inits.
const raisedSlack = 2 * time.Millisecond

func init() {
	libcontainer.PassEnv = append(libcontainer.PassEnv, slackEnv)
}

// RaiseTimerSlack gives every thread of this process raisedSlack (threads
// made later take their maker's), after recording the slack this process
// started with in slackEnv unless it is already set. Call it first thing.
func RaiseTimerSlack() {
	if _, ok := os.LookupEnv(slackEnv); !ok {
		cur, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
		if err != nil || cur <= 0 {
			return // nothing to restore it from: leave it
		}
		_ = os.Setenv(slackEnv, strconv.Itoa(cur))
	}
	ns := []byte(strconv.FormatInt(raisedSlack.Nanoseconds(), 10))
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	for _, t := range tids {
		// /proc/TID, not /proc/self/task/TID: only the former has it.
		_ = os.WriteFile("/proc/"+t.Name()+"/timerslack_ns", ns, 0)
	}
}

// restoreTimerSlackAtExec has the init set the timer slack recorded in
// slackEnv just before it executes the container's process.
func restoreTimerSlackAtExec() {
	v, ok := os.LookupEnv(slackEnv)
	if !ok {
		return
	}
	ns, err := strconv.Atoi(v)
	if err != nil || ns <= 0 { // 0 would mean "the default": the raised one
		return
	}
	libcontainer.BeforeExec = func() {
		_ = unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(ns), 0, 0, 0)
	}
}
