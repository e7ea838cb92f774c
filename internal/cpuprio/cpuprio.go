// Package cpuprio gives background work the CPU only when nothing else
// wants it.
package cpuprio

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// Lowest puts the calling goroutine on a thread of its own at the lowest
// CPU priority (nice 19) for the rest of its life: the kernel work of its
// system calls (unlinks, unmounts, namespace set-up) is charged to that
// thread too. The thread is never returned to the scheduler: it ends with
// the goroutine, so no other goroutine inherits its priority. Call it
// first in a goroutine started for the background work.
//
// Such a goroutine must not hold a lock that foreground work waits for
// while it works: at nice 19 on a busy machine, it would keep the waiter
// waiting.
func Lowest() {
	runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), 19)
}
