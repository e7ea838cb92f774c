package cri

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// crictl runp starts a pod sandbox: a pause process holding the pod's
// network (an address of the CNI network), UTS (the pod's hostname) and
// IPC namespaces; pods lists it Ready; stopp detaches it from the network
// (the address is released) and stops it; rmp removes it.
func TestPodSandboxLifecycleThroughCrictl(t *testing.T) {
	c := startCRI(t)
	leases := c.withNetwork()
	cfg := filepath.Join(t.TempDir(), "pod.json")
	if err := os.WriteFile(cfg, []byte(`{"metadata": {"name": "web", "namespace": "default", "uid": "uid-web", "attempt": 1},
		"hostname": "web-host", "labels": {"app": "web"}, "annotations": {"note": "x"}, "linux": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := c.Crictl("runp", cfg)
	if r.ExitCode != 0 {
		t.Fatalf("crictl runp: %s\n%s", r, c.Log())
	}
	id := strings.TrimSpace(r.Stdout)
	if r := c.Crictl("pods"); !strings.Contains(r.Stdout, id[:13]) || !strings.Contains(r.Stdout, "Ready") || !strings.Contains(r.Stdout, "web") {
		t.Errorf("crictl pods: %s", r)
	}
	st, pid := c.podStatus(id)
	if st.State != runtimeapi.PodSandboxState_SANDBOX_READY || !strings.HasPrefix(st.GetNetwork().GetIp(), testPrefix) ||
		st.Metadata.Attempt != 1 || st.Labels["app"] != "web" || st.Annotations["note"] != "x" || pid == 0 {
		t.Fatalf("PodSandboxStatus = %v (pid %d); want ready, an address in %s, the config's metadata, labels and annotations", st, pid, testSubnet)
	}
	ip := st.Network.Ip
	if out, err := exec.Command("nsenter", "-t", fmt.Sprint(pid), "-u", "hostname").Output(); err != nil || strings.TrimSpace(string(out)) != "web-host" {
		t.Errorf("hostname in the pod's UTS namespace = %q, %v", out, err)
	}
	if out, err := exec.Command("nsenter", "-t", fmt.Sprint(pid), "-n", "ip", "-4", "-o", "addr", "show", "eth0").Output(); err != nil || !strings.Contains(string(out), ip+"/24") {
		t.Errorf("eth0 in the pod's network namespace: %q, %v; want %s", out, err, ip)
	}
	if _, err := os.Stat(filepath.Join(leases, ip)); err != nil {
		t.Errorf("host-local has no lease for %s: %v", ip, err)
	}
	if r := c.Crictl("inspectp", id); r.ExitCode != 0 || !strings.Contains(r.Stdout, `"state": "SANDBOX_READY"`) {
		t.Errorf("crictl inspectp: %s", r)
	}

	if r := c.Crictl("stopp", id); r.ExitCode != 0 {
		t.Fatalf("crictl stopp: %s", r)
	}
	st, _ = c.podStatus(id)
	if st.State != runtimeapi.PodSandboxState_SANDBOX_NOTREADY || st.Network != nil {
		t.Errorf("status after stopp = %v; want not ready, no address", st)
	}
	if _, err := os.Stat(filepath.Join(leases, ip)); !os.IsNotExist(err) {
		t.Errorf("the lease of %s is still there after stopp: %v", ip, err)
	}
	if r := c.Crictl("stopp", id); r.ExitCode != 0 {
		t.Errorf("a second crictl stopp: %s", r)
	}
	if r := c.Crictl("rmp", id); r.ExitCode != 0 {
		t.Fatalf("crictl rmp: %s", r)
	}
	if r := c.Crictl("pods", "-q"); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("crictl pods after rmp: %s", r)
	}
	if _, err := c.Runtime.RemovePodSandbox(ctxT(t), &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id}); err != nil {
		t.Errorf("RemovePodSandbox of a removed sandbox = %v, want nil", err)
	}
	if _, err := c.Runtime.PodSandboxStatus(ctxT(t), &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id}); status.Code(err) != codes.NotFound {
		t.Errorf("PodSandboxStatus of a removed sandbox = %v, want NotFound", err)
	}
}

// Pods on the CNI network reach each other at their addresses.
func TestTwoPodsReachEachOther(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	a, b := c.runPod(podConfig("a")), c.runPod(podConfig("b"))
	_, pidA := c.podStatus(a)
	stB, _ := c.podStatus(b)
	out, err := exec.Command("nsenter", "-t", fmt.Sprint(pidA), "-n", "/bin/busybox", "ping", "-c", "1", "-W", "3", stB.Network.Ip).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "1 packets received") {
		t.Errorf("ping from pod a to pod b (%s): %v\n%s", stB.Network.Ip, err, out)
	}
}

// Pod containers belong to the CRI: tug ps shows them only to a label
// filter under io.tug.cri, tug rm refuses them, and the Engine API may
// not set the CRI's labels.
func TestPodsLiveApartFromEngineContainers(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	id := c.runPod(podConfig("apart"))
	// A stopped sandbox survives a prune.
	stopped := c.runPod(podConfig("stopped"))
	if _, err := c.Runtime.StopPodSandbox(ctxT(t), &runtimeapi.StopPodSandboxRequest{PodSandboxId: stopped}); err != nil {
		t.Fatal(err)
	}
	if r := c.Tug("container", "prune", "-f"); r.ExitCode != 0 {
		t.Fatalf("tug container prune: %s", r)
	}
	if _, err := c.Runtime.PodSandboxStatus(ctxT(t), &runtimeapi.PodSandboxStatusRequest{PodSandboxId: stopped}); err != nil {
		t.Errorf("a stopped sandbox after tug container prune: %v", err)
	}
	c.ImportBusybox("busybox")
	if r := c.Tug("create", "--name", "mine", "busybox", "true"); r.ExitCode != 0 {
		t.Fatalf("tug create: %s", r)
	}
	if r := c.Tug("ps", "-a", "--format", "{{.Names}}"); strings.TrimSpace(r.Stdout) != "mine" {
		t.Errorf("tug ps -a = %q, want only the Engine API's container", r.Stdout)
	}
	if r := c.Tug("ps", "-q", "--no-trunc", "--filter", "label=io.tug.cri.kind=sandbox"); strings.TrimSpace(r.Stdout) != id {
		t.Errorf("tug ps --filter label=io.tug.cri.kind=sandbox = %q, want the running sandbox %s", r.Stdout, id)
	}
	if r := c.Tug("rm", "-f", id); r.ExitCode == 0 || !strings.Contains(r.Stderr, "belongs to a Kubernetes pod") {
		t.Errorf("tug rm -f of a pod's container: %s", r)
	}
	if st, _ := c.podStatus(id); st.State != runtimeapi.PodSandboxState_SANDBOX_READY {
		t.Errorf("the sandbox after tug rm: %v", st)
	}
	if r := c.Tug("create", "--label", "io.tug.cri.kind=sandbox", "busybox", "true"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "reserved for containers of the CRI") {
		t.Errorf("tug create with a CRI label: %s", r)
	}
	// Joining a UTS namespace is the CRI's; the Engine API refuses it as Docker does.
	_, err := c.Client.ContainerCreate(ctxT(t), client.ContainerCreateOptions{
		Config:     &container.Config{Image: "busybox", Cmd: []string{"true"}},
		HostConfig: &container.HostConfig{UTSMode: container.UTSMode("container:" + id)},
	})
	if err == nil || !strings.Contains(err.Error(), "invalid UTS mode: container:") {
		t.Errorf("Engine API create with UTS mode container: = %v, want Docker's refusal", err)
	}
	// The CRI finds no Engine API container.
	mine := strings.TrimSpace(c.Tug("inspect", "--format", "{{.Id}}", "mine").Stdout)
	if _, err := c.Runtime.RemovePodSandbox(ctxT(t), &runtimeapi.RemovePodSandboxRequest{PodSandboxId: mine}); err != nil {
		t.Errorf("RemovePodSandbox(an Engine API container) = %v, want nil (no such sandbox)", err)
	}
	if r := c.Tug("inspect", "mine"); r.ExitCode != 0 {
		t.Errorf("the Engine API's container is gone after a CRI remove of its ID")
	}
}

// A pod keeps running, with its address, when tugd is killed; the next
// tugd stops and removes it, releasing the address.
func TestPodSurvivesTugdSIGKILL(t *testing.T) {
	c := startCRI(t)
	leases := c.withNetwork()
	id := c.runPod(podConfig("survivor"))
	st, pid := c.podStatus(id)
	c.Kill()
	if err := exec.Command("kill", "-0", fmt.Sprint(pid)).Run(); err != nil {
		t.Fatalf("the pause process died with tugd: %v", err)
	}
	c.Start()
	c.waitCRI()
	st2, pid2 := c.podStatus(id)
	if st2.State != runtimeapi.PodSandboxState_SANDBOX_READY || st2.GetNetwork().GetIp() != st.Network.Ip || pid2 != pid {
		t.Errorf("after a tugd restart: %v (pid %d); want ready at %s, pid %d", st2, pid2, st.Network.Ip, pid)
	}
	if _, err := c.Runtime.StopPodSandbox(ctxT(t), &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil {
		t.Fatalf("StopPodSandbox after a restart = %v", err)
	}
	if _, err := os.Stat(filepath.Join(leases, st.Network.Ip)); !os.IsNotExist(err) {
		t.Errorf("the lease is still there after a stop: %v", err)
	}
}

// A pod config field tug does not implement is refused by name, and
// nothing is left of the pod.
func TestSandboxRefusesWhatItDoesNotImplement(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	ports := podConfig("ports")
	ports.PortMappings = []*runtimeapi.PortMapping{{ContainerPort: 80, HostPort: 8080}}
	userns := podConfig("userns")
	userns.Linux.SecurityContext = &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{
		UsernsOptions: &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD},
	}}
	for _, tc := range []struct {
		cfg   *runtimeapi.PodSandboxConfig
		field string
	}{
		{ports, "port_mappings"},
		{userns, "userns_options"},
	} {
		_, err := c.Runtime.RunPodSandbox(ctxT(t), &runtimeapi.RunPodSandboxRequest{Config: tc.cfg})
		if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("RunPodSandbox(%s) = %v, want Unimplemented naming %s", tc.cfg.Metadata.Name, err, tc.field)
		}
	}
	if r := c.Tug("ps", "-a", "-q", "--filter", "label=io.tug.cri.owner"); r.Stdout != "" {
		t.Errorf("refused pods left containers: %s", r)
	}
}
