package cri

import (
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// crictl ps takes its POD and NAMESPACE columns from the container's
// labels io.kubernetes.pod.name and io.kubernetes.pod.namespace, which
// the kubelet puts in every container config: tug returns the config's
// labels as given (as containerd does), so a kubelet's containers show
// their pod and a bare `crictl create`/`run` one shows "unknown".
func TestCrictlPsShowsThePodFromTheKubeletsLabels(t *testing.T) {
	c := startCRI(t)
	c.withNetwork()
	c.ImportBusybox("busybox")
	pod := podWithLogs(t, "psl")
	podID := c.runPod(pod)
	resp, err := c.Runtime.CreateContainer(ctxT(t), &runtimeapi.CreateContainerRequest{
		PodSandboxId: podID,
		Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: "kubelets"},
			Image:    &runtimeapi.ImageSpec{Image: "busybox"},
			Command:  []string{"sleep", "1000"},
			Labels: map[string]string{
				"io.kubernetes.pod.name": "psl", "io.kubernetes.pod.namespace": "shop",
				"io.kubernetes.container.name": "kubelets",
			},
		},
		SandboxConfig: pod,
	})
	if err != nil {
		t.Fatal(err)
	}
	kubelets := resp.ContainerId
	bare := c.createContainer(podID, pod, "bare", "sleep 1000")

	r := c.Crictl("ps", "-a")
	if r.ExitCode != 0 {
		t.Fatalf("crictl ps -a: %s", r)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(r.Stdout, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = f
		}
	}
	row := func(id string) []string { return rows[id[:13]] }
	// The last two columns: POD, NAMESPACE.
	if f := row(kubelets); len(f) < 2 || f[len(f)-2] != "psl" || f[len(f)-1] != "shop" {
		t.Errorf("crictl ps row of the kubelet's container = %q, want pod psl in namespace shop\n%s", f, r.Stdout)
	}
	if f := row(bare); len(f) < 2 || f[len(f)-2] != "unknown" || f[len(f)-1] != "unknown" {
		t.Errorf("crictl ps row of a bare container = %q, want unknown pod and namespace\n%s", f, r.Stdout)
	}
}
