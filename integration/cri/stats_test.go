package cri

import (
	"os"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// UpdateContainerResources writes a running container's cgroup at once;
// an OOM score other than the one it was created with is refused.
func TestUpdateContainerResourcesWritesTheCgroup(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podWithLogs(t, "upd")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "web", "sleep 1000")
	c.startContainer(id)
	limit := "/sys/fs/cgroup/memory/tug/" + id + "/memory.limit_in_bytes" // cgroup v1
	if _, err := os.Stat(limit); err != nil {
		limit = "/sys/fs/cgroup/tug/" + id + "/memory.max" // v2
	}
	_, err := c.Runtime.UpdateContainerResources(ctxT(t), &runtimeapi.UpdateContainerResourcesRequest{
		ContainerId: id, Linux: &runtimeapi.LinuxContainerResources{MemoryLimitInBytes: 96 << 20, CpuShares: 512},
	})
	if err != nil {
		t.Fatalf("UpdateContainerResources() = %v", err)
	}
	if b, _ := os.ReadFile(limit); strings.TrimSpace(string(b)) != "100663296" {
		t.Errorf("memory.limit_in_bytes = %q, want 96 MiB", b)
	}
	_, err = c.Runtime.UpdateContainerResources(ctxT(t), &runtimeapi.UpdateContainerResourcesRequest{
		ContainerId: id, Linux: &runtimeapi.LinuxContainerResources{OomScoreAdj: 500},
	})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "oom_score_adj") {
		t.Errorf("UpdateContainerResources(oom_score_adj) = %v, want Unimplemented naming it", err)
	}
}

// ContainerStats and ListContainerStats sample the running containers'
// cgroups; crictl stats shows them.
func TestContainerStatsSampleTheCgroup(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podWithLogs(t, "stats")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "busy", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo x > /data; sleep 1000")
	c.startContainer(id)
	resp, err := c.Runtime.ContainerStats(ctxT(t), &runtimeapi.ContainerStatsRequest{ContainerId: id})
	if err != nil {
		t.Fatalf("ContainerStats() = %v", err)
	}
	st := resp.Stats
	if st.GetCpu().GetUsageCoreNanoSeconds().GetValue() == 0 || st.GetMemory().GetUsageBytes().GetValue() == 0 ||
		st.GetMemory().GetWorkingSetBytes().GetValue() == 0 || st.GetAttributes().GetMetadata().GetName() != "busy" {
		t.Errorf("ContainerStats() = %v; want CPU time, memory and the container's metadata", st)
	}
	list, err := c.Runtime.ListContainerStats(ctxT(t), &runtimeapi.ListContainerStatsRequest{Filter: &runtimeapi.ContainerStatsFilter{PodSandboxId: podID}})
	if err != nil || len(list.Stats) != 1 || list.Stats[0].Attributes.Id != id {
		t.Errorf("ListContainerStats(pod) = %v, %v", list, err)
	}
	if r := c.Crictl("stats", "-o", "json"); r.ExitCode != 0 || !strings.Contains(r.Stdout, id) {
		t.Errorf("crictl stats: %s", r)
	}
}
