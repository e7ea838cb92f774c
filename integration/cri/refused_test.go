package cri

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The metrics calls and a pod CIDR are refused with Unimplemented naming
// what is missing, through the gRPC client and crictl alike.
func TestMetricsAndPodCIDRAreRefusedByName(t *testing.T) {
	c := startCRI(t)
	_, err := c.Runtime.ListMetricDescriptors(ctxT(t), &runtimeapi.ListMetricDescriptorsRequest{})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "ListMetricDescriptors") {
		t.Errorf("ListMetricDescriptors() = %v, want Unimplemented naming it", err)
	}
	_, err = c.Runtime.ListPodSandboxMetrics(ctxT(t), &runtimeapi.ListPodSandboxMetricsRequest{})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "ListPodSandboxMetrics") {
		t.Errorf("ListPodSandboxMetrics() = %v, want Unimplemented naming it", err)
	}
	_, err = c.Runtime.UpdateRuntimeConfig(ctxT(t), &runtimeapi.UpdateRuntimeConfigRequest{RuntimeConfig: &runtimeapi.RuntimeConfig{
		NetworkConfig: &runtimeapi.NetworkConfig{PodCidr: "10.244.1.0/24"}}})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "pod_cidr") {
		t.Errorf("UpdateRuntimeConfig(pod CIDR) = %v, want Unimplemented naming pod_cidr", err)
	}
	if _, err := c.Runtime.UpdateRuntimeConfig(ctxT(t), &runtimeapi.UpdateRuntimeConfigRequest{RuntimeConfig: &runtimeapi.RuntimeConfig{}}); err != nil {
		t.Errorf("UpdateRuntimeConfig(nothing) = %v, want it accepted", err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"update-runtime-config", "--pod-cidr", "10.244.1.0/24"}, "pod_cidr"},
		{[]string{"metricdescs"}, "ListMetricDescriptors"},
		{[]string{"metricsp"}, "ListPodSandboxMetrics"},
	} {
		if r := c.Crictl(tc.args...); r.ExitCode == 0 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("crictl %v: %s; want a failure naming %s", tc.args, r, tc.want)
		}
	}
}
