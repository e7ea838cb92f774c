package cri

import (
	"context"
	"errors"
	"strings"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/errdefs"
)

// UpdateContainerResources changes a container's CPU, memory and cpuset
// limits (written to its cgroup at once when it runs). The OOM score
// cannot change after create: a different one is refused.
func (r *runtimeService) UpdateContainerResources(ctx context.Context, req *runtimeapi.UpdateContainerResourcesRequest) (*runtimeapi.UpdateContainerResourcesResponse, error) {
	c, err := r.s.findContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if req.GetWindows() != nil {
		return nil, refuse("windows", "tug runs Linux containers only")
	}
	res := req.GetLinux()
	if res == nil {
		return &runtimeapi.UpdateContainerResourcesResponse{}, nil
	}
	if len(res.HugepageLimits) > 0 {
		return nil, refuse("linux.hugepage_limits", "hugetlb limits are not implemented")
	}
	if len(res.Unified) > 0 {
		return nil, refuse("linux.unified", "cgroup v2 files are not implemented")
	}
	insp, err := r.s.containers.Inspect(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if insp.HostConfig != nil && res.OomScoreAdj != 0 && int(res.OomScoreAdj) != insp.HostConfig.OomScoreAdj {
		return nil, refuse("linux.oom_score_adj", "the OOM score is set at create and cannot change")
	}
	upd := &apicontainer.UpdateConfig{Resources: apicontainer.Resources{
		CPUPeriod:  res.CpuPeriod,
		CPUQuota:   res.CpuQuota,
		CPUShares:  res.CpuShares,
		Memory:     res.MemoryLimitInBytes,
		MemorySwap: res.MemorySwapLimitInBytes,
		CpusetCpus: res.CpusetCpus,
		CpusetMems: res.CpusetMems,
	}}
	if err := r.s.containers.Update(ctx, c.ID, upd); err != nil {
		return nil, err
	}
	return &runtimeapi.UpdateContainerResourcesResponse{}, nil
}

func (r *runtimeService) ContainerStats(ctx context.Context, req *runtimeapi.ContainerStatsRequest) (*runtimeapi.ContainerStatsResponse, error) {
	c, err := r.s.findContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	st, err := r.s.containerStats(ctx, c)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ContainerStatsResponse{Stats: st}, nil
}

func (r *runtimeService) ListContainerStats(ctx context.Context, req *runtimeapi.ListContainerStatsRequest) (*runtimeapi.ListContainerStatsResponse, error) {
	f := req.GetFilter()
	stats, err := sampleRunning(ctx, r.s.podContainers(ctx), func(c apicontainer.Summary) bool {
		return (f.GetId() == "" || strings.HasPrefix(c.ID, f.GetId())) &&
			(f.GetPodSandboxId() == "" || strings.HasPrefix(c.Labels[labelSandbox], f.GetPodSandboxId()))
	}, r.s.containerStats, func(st *runtimeapi.ContainerStats) map[string]string { return st.Attributes.Labels }, f.GetLabelSelector())
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ListContainerStatsResponse{Stats: stats}, nil
}

// sampleRunning samples, with sample, each running object of objs that
// keep accepts, leaving out those removed meanwhile and those whose
// labels (read from the sample) do not match selector.
func sampleRunning[T any](ctx context.Context, objs []apicontainer.Summary, keep func(apicontainer.Summary) bool,
	sample func(context.Context, apicontainer.Summary) (T, error), labels func(T) map[string]string, selector map[string]string) ([]T, error) {
	out := []T{}
	for _, o := range objs {
		if o.State != apicontainer.StateRunning || !keep(o) {
			continue
		}
		st, err := sample(ctx, o)
		if errors.Is(err, errdefs.ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		if labelsMatch(labels(st), selector) {
			out = append(out, st)
		}
	}
	return out, nil
}

// containerStats is one sample of a container's CPU and memory (from its
// cgroup) and writable layer.
func (s *Server) containerStats(ctx context.Context, c apicontainer.Summary) (*runtimeapi.ContainerStats, error) {
	sample, layer, err := s.containers.Stats(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return s.criContainerStats(c, sample, layer), nil
}

// criContainerStats is the CRI's form of sample and the writable layer's
// bytes of container c.
func (s *Server) criContainerStats(c apicontainer.Summary, sample *apicontainer.StatsResponse, layer int64) *runtimeapi.ContainerStats {
	now := time.Now().UnixNano()
	attrs := &runtimeapi.ContainerAttributes{Id: c.ID, Metadata: &runtimeapi.ContainerMetadata{Name: c.Labels[labelName]}}
	if st, err := s.state.loadContainer(c.ID); err == nil {
		attrs.Metadata, attrs.Labels, attrs.Annotations = st.config.GetMetadata(), st.config.GetLabels(), st.config.GetAnnotations()
	}
	out := &runtimeapi.ContainerStats{
		Attributes: attrs,
		Cpu: &runtimeapi.CpuUsage{Timestamp: now,
			UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: sample.CPUStats.CPUUsage.TotalUsage}},
		Memory: &runtimeapi.MemoryUsage{Timestamp: now,
			UsageBytes:      &runtimeapi.UInt64Value{Value: sample.MemoryStats.Usage},
			WorkingSetBytes: &runtimeapi.UInt64Value{Value: workingSet(sample.MemoryStats)},
			RssBytes:        &runtimeapi.UInt64Value{Value: memStat(sample.MemoryStats, "total_rss", "anon")},
			PageFaults:      &runtimeapi.UInt64Value{Value: memStat(sample.MemoryStats, "total_pgfault", "pgfault")},
			MajorPageFaults: &runtimeapi.UInt64Value{Value: memStat(sample.MemoryStats, "total_pgmajfault", "pgmajfault")},
		},
		WritableLayer: &runtimeapi.FilesystemUsage{Timestamp: now,
			UsedBytes: &runtimeapi.UInt64Value{Value: uint64(max(layer, 0))}},
	}
	return out
}

// workingSet is the kubelet's working set: usage less inactive file pages.
func workingSet(m apicontainer.MemoryStats) uint64 {
	inactive := memStat(m, "total_inactive_file", "inactive_file")
	if inactive > m.Usage {
		return 0
	}
	return m.Usage - inactive
}

// memStat is the first of keys (cgroup v1's name, then v2's) in m.Stats.
func memStat(m apicontainer.MemoryStats, keys ...string) uint64 {
	for _, k := range keys {
		if v, ok := m.Stats[k]; ok {
			return v
		}
	}
	return 0
}
