package cri

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The runtime names itself tug and speaks CRI v1, through gRPC and crictl.
func TestVersionNamesTugAndCRIv1(t *testing.T) {
	c := startCRI(t)
	v, err := c.Runtime.Version(ctxT(t), &runtimeapi.VersionRequest{})
	if err != nil {
		t.Fatalf("Version() = %v", err)
	}
	if v.RuntimeName != "tug" || v.RuntimeApiVersion != "v1" || v.RuntimeVersion == "" || v.Version != "0.1.0" {
		t.Errorf("Version() = %+v, want tug, CRI v1, kubelet API 0.1.0", v)
	}
	r := c.Crictl("version")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "RuntimeName:  tug") || !strings.Contains(r.Stdout, "RuntimeApiVersion:  v1") {
		t.Errorf("crictl version: %s", r)
	}
}

func conditions(t *testing.T, c *criDaemon) map[string]*runtimeapi.RuntimeCondition {
	t.Helper()
	st, err := c.Runtime.Status(ctxT(t), &runtimeapi.StatusRequest{Verbose: true})
	if err != nil {
		t.Fatalf("Status() = %v", err)
	}
	out := map[string]*runtimeapi.RuntimeCondition{}
	for _, cond := range st.GetStatus().GetConditions() {
		out[cond.Type] = cond
	}
	return out
}

// The runtime says it is ready once it serves.
func TestStatusSaysRuntimeReady(t *testing.T) {
	c := startCRI(t)
	if rt := conditions(t, c)[runtimeapi.RuntimeReady]; rt == nil || !rt.Status {
		t.Errorf("RuntimeReady = %+v, want true", rt)
	}
}

// NetworkReady follows the CNI configuration: false with the reason while
// the configuration directory is empty or names a plugin that is not
// installed, true once a conflist whose plugins are installed is there.
func TestNetworkReadyFollowsTheCNIConfiguration(t *testing.T) {
	c := startCRI(t)
	nc := conditions(t, c)[runtimeapi.NetworkReady]
	if nc == nil || nc.Status || nc.Reason != "NetworkPluginNotReady" || !strings.Contains(nc.Message, "no network configuration in "+c.CNIDir) {
		t.Errorf("NetworkReady with no config = %+v, want false naming %s", nc, c.CNIDir)
	}

	missing := `{"cniVersion": "1.0.0", "name": "tug-cri-test", "plugins": [{"type": "no-such-plugin"}]}`
	if err := os.WriteFile(filepath.Join(c.CNIDir, "10-test.conflist"), []byte(missing), 0o644); err != nil {
		t.Fatal(err)
	}
	nc = conditions(t, c)[runtimeapi.NetworkReady]
	if nc == nil || nc.Status || !strings.Contains(nc.Message, `plugin "no-such-plugin" not found`) {
		t.Errorf("NetworkReady with a missing plugin = %+v, want false naming it", nc)
	}

	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		t.Fatalf("Debian's containernetworking-plugins is not installed (/usr/lib/cni/bridge): %v", err)
	}
	good := `{"cniVersion": "1.0.0", "name": "tug-cri-test", "plugins": [
		{"type": "bridge", "bridge": "tugcri0", "isGateway": true, "ipMasq": false,
		 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.231.0.0/24"}]]}},
		{"type": "portmap", "capabilities": {"portMappings": true}}]}`
	if err := os.WriteFile(filepath.Join(c.CNIDir, "10-test.conflist"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	nc = conditions(t, c)[runtimeapi.NetworkReady]
	if nc == nil || !nc.Status {
		t.Errorf("NetworkReady with bridge and portmap installed = %+v, want true", nc)
	}
	r := c.Crictl("info")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, `"cniNetwork": "tug-cri-test"`) {
		t.Errorf("crictl info: %s", r)
	}
}

// tugd manages cgroups through the cgroup file system itself.
func TestRuntimeConfigReportsTheCgroupfsDriver(t *testing.T) {
	c := startCRI(t)
	rc, err := c.Runtime.RuntimeConfig(ctxT(t), &runtimeapi.RuntimeConfigRequest{})
	if err != nil {
		t.Fatalf("RuntimeConfig() = %v", err)
	}
	if got := rc.GetLinux().GetCgroupDriver(); got != runtimeapi.CgroupDriver_CGROUPFS {
		t.Errorf("cgroup driver = %v, want CGROUPFS", got)
	}
}

// A call tug does not implement yet fails with Unimplemented naming it.
func TestUnimplementedCallsAreRefusedByName(t *testing.T) {
	c := startCRI(t)
	_, err := c.Runtime.CheckpointContainer(ctxT(t), &runtimeapi.CheckpointContainerRequest{ContainerId: "x", Location: "/tmp/x.tar"})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "CheckpointContainer") {
		t.Errorf("CheckpointContainer() = %v, want Unimplemented naming it", err)
	}
}
