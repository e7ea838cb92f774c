package cri

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/errdefs"
)

// CreateContainer creates a container in a pod: it joins the pod's
// network and IPC namespaces and logs in the CRI's format to the
// sandbox's log directory joined with the config's log path.
func (r *runtimeService) CreateContainer(ctx context.Context, req *runtimeapi.CreateContainerRequest) (*runtimeapi.CreateContainerResponse, error) {
	s := r.s
	cfg := req.GetConfig()
	if cfg.GetMetadata().GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "container config: metadata needs a name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sb, err := s.findSandbox(ctx, req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	sst, err := s.state.load(sb.ID)
	if err != nil {
		return nil, fmt.Errorf("sandbox %s: %w", sb.ID, err)
	}
	podCfg := sst.config
	img, err := s.images.Image(ctx, cfg.GetImage().GetImage())
	if err != nil {
		return nil, err
	}
	logPath := ""
	if dir, p := podCfg.GetLogDirectory(), cfg.GetLogPath(); dir != "" && p != "" {
		logPath = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
			return nil, fmt.Errorf("log directory: %w", err)
		}
	}
	creq, err := containerCreateRequest(sb.ID, sst.HostNet, podCfg, cfg, img.ID.String(), logPath)
	if err != nil {
		return nil, err
	}
	raw, err := marshalProto(cfg)
	if err != nil {
		return nil, err
	}
	id, err := s.containers.Create(ctx, containerName(podCfg.GetMetadata(), cfg.GetMetadata()), creq)
	if err != nil {
		return nil, err
	}
	st := &containerState{ID: id, SandboxID: sb.ID, CreatedAt: time.Now().UnixNano(), Config: raw, LogPath: logPath}
	if err := s.state.saveContainer(st); err != nil {
		_ = s.containers.Remove(context.WithoutCancel(ctx), id)
		return nil, err
	}
	return &runtimeapi.CreateContainerResponse{ContainerId: id}, nil
}

func (r *runtimeService) StartContainer(ctx context.Context, req *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	c, err := r.s.findContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if err := r.s.containers.Start(ctx, c.ID); err != nil {
		return nil, err
	}
	return &runtimeapi.StartContainerResponse{}, nil
}

// StopContainer sends the stop signal and SIGKILL after the timeout (in
// seconds); stopping a stopped or missing container does nothing.
func (r *runtimeService) StopContainer(ctx context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	c, err := r.s.findContainer(ctx, req.GetContainerId())
	if errors.Is(err, errdefs.ErrNotFound) {
		return &runtimeapi.StopContainerResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	if c.State == apicontainer.StateRunning {
		if err := r.s.containers.Stop(ctx, c.ID, time.Duration(req.GetTimeout())*time.Second); err != nil {
			return nil, err
		}
	}
	return &runtimeapi.StopContainerResponse{}, nil
}

// RemoveContainer kills and removes a container; one that is not there
// is already removed. The log file stays (the kubelet owns it).
func (r *runtimeService) RemoveContainer(ctx context.Context, req *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error) {
	c, err := r.s.findContainer(ctx, req.GetContainerId())
	if errors.Is(err, errdefs.ErrNotFound) {
		return &runtimeapi.RemoveContainerResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := r.s.removeContainer(ctx, c.ID); err != nil {
		return nil, err
	}
	return &runtimeapi.RemoveContainerResponse{}, nil
}

func (s *Server) removeContainer(ctx context.Context, id string) error {
	if err := s.containers.Remove(ctx, id); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return err
	}
	return s.state.removeContainer(id)
}

// podContainers are the containers (not sandboxes) of the CRI, newest
// first.
func (s *Server) podContainers(ctx context.Context) []apicontainer.Summary {
	return s.ofKind(ctx, kindContainer)
}

// findContainer finds a pod's container by ID or unique ID prefix.
func (s *Server) findContainer(ctx context.Context, id string) (apicontainer.Summary, error) {
	return s.find(ctx, kindContainer, "container", id)
}

// containerStatus is the CRI's view of a container.
func (s *Server) containerStatus(ctx context.Context, c apicontainer.Summary) (*runtimeapi.ContainerStatus, error) {
	insp, err := s.containers.Inspect(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := &runtimeapi.ContainerStatus{
		Id:       c.ID,
		Metadata: &runtimeapi.ContainerMetadata{Name: c.Labels[labelName]},
		State:    runtimeapi.ContainerState_CONTAINER_UNKNOWN,
		ImageRef: insp.Image,
		ImageId:  insp.Image,
		Image:    &runtimeapi.ImageSpec{Image: insp.Image},
	}
	if t, err := time.Parse(time.RFC3339Nano, insp.Created); err == nil {
		out.CreatedAt = t.UnixNano()
	}
	if st, err := s.state.loadContainer(c.ID); err == nil {
		out.Metadata = st.config.GetMetadata()
		out.Labels = st.config.GetLabels()
		out.Annotations = st.config.GetAnnotations()
		out.LogPath = st.LogPath
		out.CreatedAt = st.CreatedAt
		out.Mounts = st.config.GetMounts()
		if spec := st.config.GetImage(); spec != nil {
			out.Image = spec
		}
	}
	state := insp.State
	if state == nil {
		return out, nil
	}
	started, _ := time.Parse(time.RFC3339Nano, state.StartedAt)
	finished, _ := time.Parse(time.RFC3339Nano, state.FinishedAt)
	switch {
	case state.Running || state.Paused || state.Restarting:
		out.State = runtimeapi.ContainerState_CONTAINER_RUNNING
		out.StartedAt = started.UnixNano()
	case state.Status == apicontainer.StateCreated:
		out.State = runtimeapi.ContainerState_CONTAINER_CREATED
	case state.Status == apicontainer.StateExited || state.Status == apicontainer.StateDead:
		out.State = runtimeapi.ContainerState_CONTAINER_EXITED
		out.StartedAt = started.UnixNano()
		out.FinishedAt = finished.UnixNano()
		out.ExitCode = int32(state.ExitCode)
		switch {
		case state.OOMKilled:
			out.Reason = "OOMKilled"
		case state.ExitCode == 0:
			out.Reason = "Completed"
		default:
			out.Reason = "Error"
		}
		out.Message = state.Error
	}
	return out, nil
}

func (r *runtimeService) ContainerStatus(ctx context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	c, err := r.s.findContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	st, err := r.s.containerStatus(ctx, c)
	if err != nil {
		return nil, err
	}
	resp := &runtimeapi.ContainerStatusResponse{Status: st}
	if req.Verbose {
		info, err := r.s.verboseInfo(ctx, c.ID, map[string]any{"sandboxID": c.Labels[labelSandbox]})
		if err != nil {
			return nil, err
		}
		resp.Info = info
	}
	return resp, nil
}

func (r *runtimeService) ListContainers(ctx context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	s := r.s
	f := req.GetFilter()
	resp := &runtimeapi.ListContainersResponse{Containers: []*runtimeapi.Container{}}
	for _, c := range s.podContainers(ctx) {
		if f.GetId() != "" && !strings.HasPrefix(c.ID, f.GetId()) {
			continue
		}
		sandbox := c.Labels[labelSandbox]
		if f.GetPodSandboxId() != "" && !strings.HasPrefix(sandbox, f.GetPodSandboxId()) {
			continue
		}
		st, err := s.containerStatus(ctx, c)
		if errors.Is(err, errdefs.ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		if f.GetState() != nil && f.GetState().GetState() != st.State {
			continue
		}
		if !labelsMatch(st.Labels, f.GetLabelSelector()) {
			continue
		}
		resp.Containers = append(resp.Containers, &runtimeapi.Container{
			Id: st.Id, PodSandboxId: sandbox, Metadata: st.Metadata, Image: st.Image, ImageRef: st.ImageRef,
			ImageId: st.ImageId, State: st.State, CreatedAt: st.CreatedAt, Labels: st.Labels, Annotations: st.Annotations,
		})
	}
	slices.SortStableFunc(resp.Containers, func(a, b *runtimeapi.Container) int { return cmp.Compare(b.CreatedAt, a.CreatedAt) })
	return resp, nil
}

// ReopenContainerLog starts a new log file at the container's log path,
// after the kubelet renamed the old one to rotate it. The container must
// be running.
func (r *runtimeService) ReopenContainerLog(ctx context.Context, req *runtimeapi.ReopenContainerLogRequest) (*runtimeapi.ReopenContainerLogResponse, error) {
	c, err := r.s.findContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if c.State != apicontainer.StateRunning {
		return nil, status.Errorf(codes.FailedPrecondition, "container %s is not running", c.ID)
	}
	if err := r.s.containers.ReopenLog(ctx, c.ID); err != nil {
		return nil, err
	}
	return &runtimeapi.ReopenContainerLogResponse{}, nil
}
