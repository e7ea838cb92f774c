package daemon

import (
	"context"
	goruntime "runtime"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/resources"
	"github.com/tug-project/tug/internal/sysinfo"
)

// statsInterval is the time between two samples of a stream, and between
// the sample and the previous one of a single (not one-shot) answer:
// Docker's one second.
const statsInterval = time.Second

// ContainerStats samples the container's cgroup (read from tugd, not
// through the shim) and its network namespace. A container that is not
// running gives one empty sample when not streaming; a stream waits for
// it to run.
func (d *Daemon) ContainerStats(ctx context.Context, ref string, opts backend.ContainerStatsOptions, emit func(*apicontainer.StatsResponse) error) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	c.Lock()
	id, name := c.ID, "/"+c.Name
	c.Unlock()

	var prev *apicontainer.StatsResponse
	sample := func() *apicontainer.StatsResponse {
		s := d.statsSample(c.ID)
		if s == nil {
			return nil
		}
		s.ID, s.Name = id, name
		if prev != nil {
			s.PreRead, s.PreCPUStats = prev.Read, prev.CPUStats
		}
		return s
	}
	if !opts.Stream {
		s := sample()
		if s == nil {
			return emit(&apicontainer.StatsResponse{ID: id, Name: name})
		}
		if !opts.OneShot {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(statsInterval):
			}
			prev = s
			if next := sample(); next != nil {
				s = next
			}
		}
		return emit(s)
	}
	t := time.NewTicker(statsInterval)
	defer t.Stop()
	for {
		s := sample()
		if s != nil {
			if err := emit(s); err != nil {
				return nil // the client went away
			}
		}
		prev = s
		select {
		case <-ctx.Done():
			return nil
		case <-c.Removed():
			return nil
		case <-t.C:
		}
	}
}

// statsSample reads one sample of container id, or nil when it is not
// running or its cgroup is gone.
func (d *Daemon) statsSample(id string) *apicontainer.StatsResponse {
	c, err := d.lookup(id)
	if err != nil {
		return nil
	}
	c.Lock()
	running, pid := c.State.Running && !c.State.Restarting, c.State.Pid
	if c.HostConfig.NetworkMode.IsHost() {
		pid = 0 // the host's interfaces are not the container's: no networks, as in Docker
	}
	path := resources.CgroupPath(c.HostConfig.CgroupParent, c.ID)
	c.Unlock()
	if !running {
		return nil
	}
	cg, err := resources.Open(path)
	if err != nil {
		return nil
	}
	st, err := cg.Stats()
	if err != nil {
		return nil
	}
	s := resources.APIStats(st, uint64(memTotal()), sysinfo.Get().CgroupVersion == "2")
	s.Read = time.Now().UTC()
	s.OSType = goruntime.GOOS
	if sys, err := resources.SystemCPUUsage(); err == nil {
		s.CPUStats.SystemUsage = sys
	}
	s.CPUStats.OnlineCPUs = uint32(goruntime.NumCPU())
	s.NumProcs = 0 // Windows only, as in Docker
	if pid > 0 {
		if n, err := resources.NetworkStats(pid); err == nil && len(n) > 0 {
			s.Networks = n
		}
	}
	return &s
}
