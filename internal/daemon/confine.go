package daemon

import (
	"github.com/tug-project/tug/internal/confine"
	"github.com/tug-project/tug/internal/errdefs"
)

// confinePeer resolves the container of --ipc/--pid container:X.
// self is the container being started, whose lock the caller holds.
func (d *Daemon) confinePeer(self, ref string) (confine.Peer, error) {
	c, err := d.lookup(ref)
	if err != nil {
		return confine.Peer{}, err
	}
	if c.ID == self {
		return confine.Peer{}, errdefs.InvalidParameter("a container cannot join its own namespaces: %s", ref)
	}
	c.Lock()
	defer c.Unlock()
	p := confine.Peer{ID: c.ID}
	if c.State.Running {
		p.Pid = c.State.Pid
	}
	if c.HostConfig != nil {
		p.IpcMode = c.HostConfig.IpcMode
	}
	return p, nil
}

// securityOptions are info's Security Options: what tug applies on this
// host (Docker lists cgroupns only where it is the default, cgroup v2).
func (d *Daemon) securityOptions() []string {
	h := confine.Probe()
	opts := []string{}
	if h.Seccomp {
		opts = append(opts, "name=seccomp,profile=builtin")
	}
	if d.cfg.Remap != nil {
		opts = append(opts, "name=userns")
	}
	if h.Cgroup2 {
		opts = append(opts, "name=cgroupns")
	}
	return opts
}
