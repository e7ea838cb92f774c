package cri

import (
	"net"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/testutil"
)

// PodSandboxStats and ListPodSandboxStats sample a running pod: CPU and
// memory of its processes, the traffic of its interfaces, and its
// running containers; crictl statsp shows them.
func TestPodSandboxStatsSampleThePod(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podWithLogs(t, "stp")
	podID := c.runPod(pod)
	id := c.createContainer(podID, pod, "busy", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1000")
	c.startContainer(id)
	st, _ := c.podStatus(podID)
	ip := st.GetNetwork().GetIp()

	// UDP datagrams from the host reach the pod's eth0 (and its ICMP
	// answers leave it).
	var stats *runtimeapi.PodSandboxStats
	if !testutil.WaitFor(10*time.Second, func() bool {
		if conn, err := net.Dial("udp", net.JoinHostPort(ip, "9")); err == nil {
			_, _ = conn.Write([]byte("ping"))
			conn.Close()
		}
		resp, err := c.Runtime.PodSandboxStats(ctxT(t), &runtimeapi.PodSandboxStatsRequest{PodSandboxId: podID})
		if err != nil {
			t.Fatalf("PodSandboxStats() = %v", err)
		}
		stats = resp.Stats
		eth0 := stats.GetLinux().GetNetwork().GetDefaultInterface()
		return eth0.GetRxBytes().GetValue() > 0 && eth0.GetTxBytes().GetValue() > 0
	}) {
		t.Fatalf("PodSandboxStats() = %v; want traffic on eth0", stats)
	}
	lx := stats.GetLinux()
	if stats.GetAttributes().GetId() != podID || stats.GetAttributes().GetMetadata().GetName() != "stp" ||
		stats.GetAttributes().GetLabels()["app"] != "stp" {
		t.Errorf("attributes = %v, want the pod's", stats.GetAttributes())
	}
	if lx.GetNetwork().GetDefaultInterface().GetName() != "eth0" || len(lx.GetNetwork().GetInterfaces()) != 1 {
		t.Errorf("network = %v, want eth0 only (no loopback)", lx.GetNetwork())
	}
	if lx.GetCpu().GetUsageCoreNanoSeconds().GetValue() == 0 || lx.GetMemory().GetWorkingSetBytes().GetValue() == 0 ||
		lx.GetProcess().GetProcessCount().GetValue() < 2 {
		t.Errorf("cpu %v, memory %v, processes %v; want the pod's usage (pause and sh at least)", lx.GetCpu(), lx.GetMemory(), lx.GetProcess())
	}
	if len(lx.GetContainers()) != 1 || lx.Containers[0].GetAttributes().GetId() != id ||
		lx.Containers[0].GetCpu().GetUsageCoreNanoSeconds().GetValue() == 0 ||
		lx.Containers[0].GetCpu().GetUsageCoreNanoSeconds().GetValue() > lx.GetCpu().GetUsageCoreNanoSeconds().GetValue() {
		t.Errorf("containers = %v; want the running container, within the pod's CPU time", lx.GetContainers())
	}

	list, err := c.Runtime.ListPodSandboxStats(ctxT(t), &runtimeapi.ListPodSandboxStatsRequest{
		Filter: &runtimeapi.PodSandboxStatsFilter{LabelSelector: map[string]string{"app": "stp"}}})
	if err != nil || len(list.Stats) != 1 || list.Stats[0].Attributes.Id != podID {
		t.Errorf("ListPodSandboxStats(app=stp) = %v, %v", list, err)
	}
	list, err = c.Runtime.ListPodSandboxStats(ctxT(t), &runtimeapi.ListPodSandboxStatsRequest{
		Filter: &runtimeapi.PodSandboxStatsFilter{LabelSelector: map[string]string{"app": "other"}}})
	if err != nil || len(list.Stats) != 0 {
		t.Errorf("ListPodSandboxStats(app=other) = %v, %v; want none", list, err)
	}
	if r := c.Crictl("statsp", "-o", "json"); r.ExitCode != 0 || !strings.Contains(r.Stdout, podID) || !strings.Contains(r.Stdout, `"eth0"`) {
		t.Errorf("crictl statsp -o json: %s", r)
	}
	if r := c.Crictl("statsp"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "stp") || !strings.Contains(r.Stdout, podID[:13]) {
		t.Errorf("crictl statsp: %s", r)
	}
}

// A stopped pod has no stats: PodSandboxStats says so, the list leaves it
// out.
func TestPodSandboxStatsRefuseAStoppedPod(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	podID := c.runPod(podConfig("stpstop"))
	if _, err := c.Runtime.StopPodSandbox(ctxT(t), &runtimeapi.StopPodSandboxRequest{PodSandboxId: podID}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Runtime.PodSandboxStats(ctxT(t), &runtimeapi.PodSandboxStatsRequest{PodSandboxId: podID}); err == nil ||
		!strings.Contains(err.Error(), "not running") {
		t.Errorf("PodSandboxStats(stopped) = %v, want an error saying it is not running", err)
	}
	list, err := c.Runtime.ListPodSandboxStats(ctxT(t), &runtimeapi.ListPodSandboxStatsRequest{})
	if err != nil || len(list.Stats) != 0 {
		t.Errorf("ListPodSandboxStats() = %v, %v; want none", list, err)
	}
}
