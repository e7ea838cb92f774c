package cri

import (
	"context"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The calls below are refused with gRPC Unimplemented naming what is not
// there, rather than answered with nothing.

// ListMetricDescriptors is refused: tug serves no cAdvisor-style metrics
// (the kubelet's PodAndContainerStatsFromCRI); the pods' and containers'
// usage is in ListPodSandboxStats and ListContainerStats.
func (r *runtimeService) ListMetricDescriptors(ctx context.Context, req *runtimeapi.ListMetricDescriptorsRequest) (*runtimeapi.ListMetricDescriptorsResponse, error) {
	return nil, refuse("ListMetricDescriptors", "tug serves no cAdvisor-style metrics; use ListPodSandboxStats and ListContainerStats")
}

// ListPodSandboxMetrics is refused, as ListMetricDescriptors.
func (r *runtimeService) ListPodSandboxMetrics(ctx context.Context, req *runtimeapi.ListPodSandboxMetricsRequest) (*runtimeapi.ListPodSandboxMetricsResponse, error) {
	return nil, refuse("ListPodSandboxMetrics", "tug serves no cAdvisor-style metrics; use ListPodSandboxStats and ListContainerStats")
}

// UpdateRuntimeConfig takes nothing: tug does not write the CNI
// configuration, so a pod CIDR from the kubelet cannot take effect
// (configure it in the CNI configuration, e.g. host-local's ranges) and
// is refused; a request without one changes nothing and is accepted.
func (r *runtimeService) UpdateRuntimeConfig(ctx context.Context, req *runtimeapi.UpdateRuntimeConfigRequest) (*runtimeapi.UpdateRuntimeConfigResponse, error) {
	if cidr := req.GetRuntimeConfig().GetNetworkConfig().GetPodCidr(); cidr != "" {
		return nil, refuse("runtime_config.network_config.pod_cidr",
			"tug does not write the CNI configuration; set the pod CIDR "+cidr+" in the CNI configuration directory's network (e.g. host-local's ranges)")
	}
	return &runtimeapi.UpdateRuntimeConfigResponse{}, nil
}
