package confine

import (
	"fmt"
	"strings"
)

// ipcSysctls are the kernel.* parameters of the IPC namespace.
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// Namespaces a container shares with the host, for sysctl validation.
type sharedNS struct {
	hostNet, hostIPC, hostUTS bool
}

// ValidateSysctl refuses a sysctl that is not namespaced, or whose
// namespace the container shares with the host (runc's texts).
func validateSysctl(key string, ns sharedNS) error {
	switch {
	case ipcSysctls[key] || strings.HasPrefix(key, "fs.mqueue."):
		if ns.hostIPC {
			return fmt.Errorf("sysctl %q not allowed in host IPC namespace", key)
		}
		return nil
	case strings.HasPrefix(key, "net."):
		if ns.hostNet {
			return fmt.Errorf("sysctl %q not allowed in host network namespace", key)
		}
		return nil
	case key == "kernel.domainname" || key == "kernel.hostname":
		if ns.hostUTS {
			return fmt.Errorf("sysctl %q not allowed in host UTS namespace", key)
		}
		return fmt.Errorf("sysctl %q is not allowed as it conflicts with the OCI %q field", key, strings.TrimPrefix(key, "kernel."))
	}
	return fmt.Errorf("sysctl %q is not in a separate kernel namespace", key)
}
