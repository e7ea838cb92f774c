package cri

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/errdefs"
)

// podDefaultInterface is the interface CNI gives a pod (CNI_IFNAME).
const podDefaultInterface = "eth0"

// PodSandboxStats samples a running pod: its CPU, memory and processes,
// the interfaces of its network namespace, and each running container.
func (r *runtimeService) PodSandboxStats(ctx context.Context, req *runtimeapi.PodSandboxStatsRequest) (*runtimeapi.PodSandboxStatsResponse, error) {
	sb, err := r.s.findSandbox(ctx, req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	if sb.State != apicontainer.StateRunning {
		return nil, status.Errorf(codes.FailedPrecondition, "pod sandbox %s is not running", sb.ID)
	}
	st, err := r.s.podStats(ctx, sb)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.PodSandboxStatsResponse{Stats: st}, nil
}

// ListPodSandboxStats samples the running pods the filter selects (ID
// prefix, pod labels).
func (r *runtimeService) ListPodSandboxStats(ctx context.Context, req *runtimeapi.ListPodSandboxStatsRequest) (*runtimeapi.ListPodSandboxStatsResponse, error) {
	f := req.GetFilter()
	stats, err := sampleRunning(ctx, r.s.sandboxes(ctx), func(sb apicontainer.Summary) bool {
		return f.GetId() == "" || strings.HasPrefix(sb.ID, f.GetId())
	}, r.s.podStats, func(st *runtimeapi.PodSandboxStats) map[string]string { return st.Attributes.Labels }, f.GetLabelSelector())
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ListPodSandboxStatsResponse{Stats: stats}, nil
}

// podStats is one sample of pod sb. tug makes no cgroup of a pod's own
// (a kubelet's pod cgroup is only the parent of each container's): the
// pod's CPU time, memory and processes are the sums over its pause
// process and its running containers, its network the interfaces of the
// pause process's network namespace (none with the host's network).
func (s *Server) podStats(ctx context.Context, sb apicontainer.Summary) (*runtimeapi.PodSandboxStats, error) {
	pause, _, err := s.containers.Stats(ctx, sb.ID)
	if err != nil {
		return nil, err
	}
	if pause == nil {
		return nil, errdefs.NotFound("pod sandbox %s has no cgroup to sample", sb.ID)
	}
	st, _ := s.sandboxStatus(sb)
	now := time.Now().UnixNano()
	var sum podSum
	sum.add(pause)
	linux := &runtimeapi.LinuxPodSandboxStats{Containers: []*runtimeapi.ContainerStats{}}
	for _, c := range s.podContainers(ctx) {
		if c.Labels[labelSandbox] != sb.ID || c.State != apicontainer.StateRunning {
			continue
		}
		sample, layer, err := s.containers.Stats(ctx, c.ID)
		if errors.Is(err, errdefs.ErrNotFound) || err == nil && sample == nil {
			continue // gone or stopped meanwhile
		}
		if err != nil {
			return nil, err
		}
		sum.add(sample)
		linux.Containers = append(linux.Containers, s.criContainerStats(c, sample, layer))
	}
	linux.Cpu = &runtimeapi.CpuUsage{Timestamp: now, UsageCoreNanoSeconds: u64(sum.cpu)}
	linux.Memory = &runtimeapi.MemoryUsage{Timestamp: now,
		UsageBytes: u64(sum.usage), WorkingSetBytes: u64(sum.workingSet), RssBytes: u64(sum.rss),
		PageFaults: u64(sum.faults), MajorPageFaults: u64(sum.majFaults),
	}
	linux.Process = &runtimeapi.ProcessUsage{Timestamp: now, ProcessCount: u64(sum.procs)}
	linux.Network = podNetwork(now, pause.Networks)
	return &runtimeapi.PodSandboxStats{
		Attributes: &runtimeapi.PodSandboxAttributes{Id: sb.ID, Metadata: st.Metadata, Labels: st.Labels, Annotations: st.Annotations},
		Linux:      linux,
	}, nil
}

// podSum adds up the cgroup samples of a pod's processes.
type podSum struct {
	cpu, usage, workingSet, rss, faults, majFaults, procs uint64
}

func (p *podSum) add(s *apicontainer.StatsResponse) {
	m := s.MemoryStats
	p.cpu += s.CPUStats.CPUUsage.TotalUsage
	p.usage += m.Usage
	p.workingSet += workingSet(m)
	p.rss += memStat(m, "total_rss", "anon")
	p.faults += memStat(m, "total_pgfault", "pgfault")
	p.majFaults += memStat(m, "total_pgmajfault", "pgmajfault")
	p.procs += s.PidsStats.Current
}

// podNetwork is the CRI's form of the interfaces of a pod's network
// namespace (loopback left out), sorted by name; nil when there are none.
func podNetwork(now int64, nets map[string]apicontainer.NetworkStats) *runtimeapi.NetworkUsage {
	if len(nets) == 0 {
		return nil
	}
	out := &runtimeapi.NetworkUsage{Timestamp: now}
	names := make([]string, 0, len(nets))
	for name := range nets {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		n := nets[name]
		iface := &runtimeapi.NetworkInterfaceUsage{Name: name,
			RxBytes: u64(n.RxBytes), RxErrors: u64(n.RxErrors), TxBytes: u64(n.TxBytes), TxErrors: u64(n.TxErrors)}
		out.Interfaces = append(out.Interfaces, iface)
		if name == podDefaultInterface {
			out.DefaultInterface = iface
		}
	}
	if out.DefaultInterface == nil {
		out.DefaultInterface = out.Interfaces[0]
	}
	return out
}

func u64(v uint64) *runtimeapi.UInt64Value { return &runtimeapi.UInt64Value{Value: v} }
