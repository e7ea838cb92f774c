package cri

import (
	"context"
	"encoding/json"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// runtimeService is the CRI RuntimeService. Calls it does not implement
// yet answer codes.Unimplemented naming the method.
type runtimeService struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	s *Server
}

const (
	runtimeName = "tug"
	// kubeletAPIVersion is the version of the (long obsolete) kubelet
	// runtime API every CRI runtime reports in VersionResponse.Version.
	kubeletAPIVersion = "0.1.0"
	criAPIVersion     = "v1"
)

func (r *runtimeService) Version(ctx context.Context, req *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{
		Version:           kubeletAPIVersion,
		RuntimeName:       runtimeName,
		RuntimeVersion:    r.s.cfg.Version,
		RuntimeApiVersion: criAPIVersion,
	}, nil
}

// Status reports the runtime and network conditions: the runtime is
// ready once it serves; the network when the CNI configuration loads and
// its plugins are installed.
func (r *runtimeService) Status(ctx context.Context, req *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	runtimeCond := &runtimeapi.RuntimeCondition{Type: runtimeapi.RuntimeReady, Status: true}
	netCond := &runtimeapi.RuntimeCondition{Type: runtimeapi.NetworkReady, Status: true}
	netConf, err := r.s.networks.Load()
	if err != nil {
		netCond.Status = false
		netCond.Reason = "NetworkPluginNotReady"
		netCond.Message = "cni config not ready: " + err.Error()
	}
	resp := &runtimeapi.StatusResponse{
		Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{runtimeCond, netCond}},
		RuntimeHandlers: []*runtimeapi.RuntimeHandler{{
			Name:     "",
			Features: &runtimeapi.RuntimeHandlerFeatures{RecursiveReadOnlyMounts: true},
		}},
		Features: &runtimeapi.RuntimeFeatures{},
	}
	if req.Verbose {
		info := map[string]any{
			"cniConfDir": r.s.cfg.CNIConfDir,
			"cniBinDirs": r.s.cfg.CNIBinDirs,
		}
		if netConf != nil {
			info["cniNetwork"] = netConf.Name
		}
		b, err := json.Marshal(info)
		if err != nil {
			return nil, err
		}
		resp.Info = map[string]string{"config": string(b)}
	}
	return resp, nil
}

// RuntimeConfig reports the cgroup driver: tugd manages cgroups through the
// cgroup file system itself (/sys/fs/cgroup/<controller>/tug/<id>), not
// through systemd.
func (r *runtimeService) RuntimeConfig(ctx context.Context, req *runtimeapi.RuntimeConfigRequest) (*runtimeapi.RuntimeConfigResponse, error) {
	return &runtimeapi.RuntimeConfigResponse{
		Linux: &runtimeapi.LinuxRuntimeConfiguration{CgroupDriver: runtimeapi.CgroupDriver_CGROUPFS},
	}, nil
}
