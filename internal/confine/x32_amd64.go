package confine

import "golang.org/x/sys/unix"

// x32SyscallBit marks a syscall number of the x32 ABI (__X32_SYSCALL_BIT).
const x32SyscallBit = 0x40000000

// probeX32 reports whether the kernel runs x32 syscalls: getpid through
// the x32 ABI answers our pid where the kernel has it, ENOSYS where not.
func probeX32() bool {
	pid, _, errno := unix.RawSyscall(x32SyscallBit|unix.SYS_GETPID, 0, 0, 0)
	return errno == 0 && int(pid) == unix.Getpid()
}
