package confine

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/oci"
)

// Host is what this machine can confine with.
type Host struct {
	// Bounding is the capability bounding set of tugd, by name
	// ("CAP_CHOWN"): no container can get a capability outside it.
	Bounding []string
	Seccomp  bool // the kernel filters syscalls (SECCOMP_MODE_FILTER)
	// X32 is true when the kernel runs x32 syscalls (CONFIG_X86_X32_ABI,
	// and on amd64 only); without it every x32 syscall fails with ENOSYS.
	X32      bool
	AppArmor bool
	SELinux  bool
	Cgroup2  bool // the unified hierarchy only: cgroup namespaces are private by default
	// InitBinary is the --init reaper, tug-init next to the tugd binary;
	// "" when it is not installed.
	InitBinary string
}

var (
	probeOnce sync.Once
	probed    *Host
)

// Probe returns what this host has; it reads the kernel once per process.
func Probe() *Host {
	probeOnce.Do(func() {
		status, _ := os.ReadFile("/proc/self/status")
		h := &Host{Bounding: oci.AllCapabilities}
		if v, ok := statusField(status, "CapBnd"); ok {
			if mask, err := strconv.ParseUint(v, 16, 64); err == nil {
				h.Bounding = capsFromMask(mask)
			}
		}
		mode, hasSeccomp := statusField(status, "Seccomp")
		_, err := os.Stat("/proc/sys/kernel/seccomp/actions_avail")
		h.Seccomp = hasSeccomp && err == nil
		// Under a filter of its own (tugd in a container), an x32 syscall
		// may kill the probing thread: keep x32 in the filters, as Docker.
		h.X32 = mode != "0" || probeX32()
		if b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled"); err == nil {
			h.AppArmor = strings.TrimSpace(string(b)) == "Y"
		}
		if _, err := os.Stat("/sys/fs/selinux/enforce"); err == nil {
			h.SELinux = true
		}
		var st unix.Statfs_t
		h.Cgroup2 = unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
		if self, err := os.Executable(); err == nil {
			p := filepath.Join(filepath.Dir(self), "tug-init")
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				h.InitBinary = p
			}
		}
		probed = h
	})
	return probed
}

func statusField(status []byte, key string) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && k == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
