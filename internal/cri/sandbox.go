package cri

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	apicontainer "github.com/moby/moby/api/types/container"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/cri/cni"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
)

// Labels of the engine's containers that make up pods (all under
// container.CRILabelPrefix, which the Engine API may not set).
const (
	labelKind         = "io.tug.cri.kind" // "sandbox" or "container"
	labelSandbox      = "io.tug.cri.sandbox"
	labelPodName      = "io.tug.cri.pod-name"
	labelPodNamespace = "io.tug.cri.pod-namespace"
	labelPodUID       = "io.tug.cri.pod-uid"

	labelName = "io.tug.cri.name" // a container's name in its pod

	kindSandbox   = "sandbox"
	kindContainer = "container"

	// pauseStopTimeout bounds the pause process's exit on SIGTERM.
	pauseStopTimeout = 5 * time.Second
)

// RunPodSandbox starts a pod's sandbox: a pause container holding the
// pod's network, IPC and UTS namespaces, attached to the CNI network
// (unless the pod uses the host's network). On error nothing is left.
func (r *runtimeService) RunPodSandbox(ctx context.Context, req *runtimeapi.RunPodSandboxRequest) (*runtimeapi.RunPodSandboxResponse, error) {
	s := r.s
	cfg := req.GetConfig()
	if h := req.GetRuntimeHandler(); h != "" {
		return nil, refuse("runtime_handler", "tug has only its default runtime handler, not "+h)
	}
	md := cfg.GetMetadata()
	if md.GetName() == "" || md.GetNamespace() == "" || md.GetUid() == "" {
		return nil, status.Error(codes.InvalidArgument, "sandbox config: metadata needs name, namespace and uid")
	}
	creq, hostNet, err := sandboxCreateRequest(cfg)
	if err != nil {
		return nil, err
	}
	ports := portMappings(cfg.GetPortMappings())
	if !hostNet && len(ports) > 0 {
		list, err := s.networks.Load()
		if err != nil {
			return nil, status.Errorf(codes.FailedPrecondition, "pod network: %v", err)
		}
		if !cni.HasPortMappings(list) {
			return nil, refuse("port_mappings", fmt.Sprintf("no plugin of CNI network %q publishes ports (the portMappings capability, e.g. portmap)", list.Name))
		}
	}
	rawCfg, err := marshalProto(cfg)
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	name := fmt.Sprintf("k8s_POD_%s_%s_%s_%d", md.Name, md.Namespace, md.Uid, md.Attempt)
	id, err := s.containers.Create(ctx, name, creq)
	if err != nil {
		return nil, err
	}
	undo := func() {
		if err := s.containers.Remove(context.WithoutCancel(ctx), id); err != nil {
			s.cfg.Logger.WarnContext(ctx, "removing a sandbox that failed to start", "id", id, "err", err)
		}
	}
	st := &sandboxState{ID: id, CreatedAt: time.Now().UnixNano(), Config: rawCfg, HostNet: hostNet, Ports: ports}
	if err := s.state.save(st); err != nil {
		undo()
		return nil, err
	}
	fail := func(err error) (*runtimeapi.RunPodSandboxResponse, error) {
		undo()
		_ = s.state.remove(id)
		return nil, err
	}
	if err := s.containers.Start(ctx, id); err != nil {
		return fail(err)
	}
	if !hostNet {
		netns, err := s.netnsOf(ctx, id)
		if err != nil {
			return fail(err)
		}
		att, err := s.networks.Attach(ctx, podOf(id, cfg), netns, ports)
		if err != nil {
			return fail(status.Errorf(codes.Unknown, "pod network: %v", err))
		}
		st.Network = &att
		if err := s.state.save(st); err != nil {
			_ = s.networks.Detach(context.WithoutCancel(ctx), podOf(id, cfg), netns, ports)
			return fail(err)
		}
	}
	return &runtimeapi.RunPodSandboxResponse{PodSandboxId: id}, nil
}

func podOf(id string, cfg *runtimeapi.PodSandboxConfig) cni.Pod {
	md := cfg.GetMetadata()
	return cni.Pod{ID: id, Name: md.GetName(), Namespace: md.GetNamespace(), UID: md.GetUid()}
}

// netnsOf is the path of the network namespace of running container id.
func (s *Server) netnsOf(ctx context.Context, id string) (string, error) {
	insp, err := s.containers.Inspect(ctx, id)
	if err != nil {
		return "", err
	}
	if insp.State == nil || !insp.State.Running || insp.State.Pid == 0 {
		return "", errdefs.Conflict("sandbox %s is not running", id)
	}
	return fmt.Sprintf("/proc/%d/ns/net", insp.State.Pid), nil
}

func portMappings(pms []*runtimeapi.PortMapping) []cni.PortMapping {
	var out []cni.PortMapping
	for _, p := range pms {
		if p.GetHostPort() <= 0 {
			continue // not published, as in kubelets' runtimes
		}
		out = append(out, cni.PortMapping{
			HostPort:      p.HostPort,
			ContainerPort: p.ContainerPort,
			Protocol:      strings.ToLower(p.Protocol.String()),
			HostIP:        p.HostIp,
		})
	}
	return out
}

// StopPodSandbox stops the pod's containers, detaches it from its network
// and stops its pause container. Stopping a stopped sandbox does nothing.
func (r *runtimeService) StopPodSandbox(ctx context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	sb, err := s.findSandbox(ctx, req.GetPodSandboxId())
	if errors.Is(err, errdefs.ErrNotFound) {
		return &runtimeapi.StopPodSandboxResponse{}, nil // idempotent: nothing left to stop
	}
	if err != nil {
		return nil, err
	}
	if err := s.stopSandbox(ctx, sb); err != nil {
		return nil, err
	}
	return &runtimeapi.StopPodSandboxResponse{}, nil
}

func (s *Server) stopSandbox(ctx context.Context, sb apicontainer.Summary) error {
	for _, c := range s.containers.List(ctx) {
		if c.Labels[labelSandbox] == sb.ID && c.State == apicontainer.StateRunning {
			if err := s.containers.Stop(ctx, c.ID, 0); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
				return err
			}
		}
	}
	st, err := s.state.load(sb.ID)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if st != nil && st.Network != nil && !st.NetDown {
		netns, _ := s.netnsOf(ctx, sb.ID) // "" when the pause process is gone
		if err := s.networks.Detach(ctx, podOf(sb.ID, st.config), netns, st.Ports); err != nil {
			return status.Errorf(codes.Unknown, "pod network: %v", err)
		}
		st.NetDown = true
		if err := s.state.save(st); err != nil {
			return err
		}
	}
	if sb.State == apicontainer.StateRunning {
		if err := s.containers.Stop(ctx, sb.ID, pauseStopTimeout); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return err
		}
	}
	return nil
}

// RemovePodSandbox stops the sandbox if needed and removes it with its
// containers; a sandbox that is not there is already removed.
func (r *runtimeService) RemovePodSandbox(ctx context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	sb, err := s.findSandbox(ctx, req.GetPodSandboxId())
	if errors.Is(err, errdefs.ErrNotFound) {
		return &runtimeapi.RemovePodSandboxResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := s.stopSandbox(ctx, sb); err != nil {
		return nil, err
	}
	for _, c := range s.containers.List(ctx) {
		if c.Labels[labelSandbox] == sb.ID {
			if err := s.removeContainer(ctx, c.ID); err != nil {
				return nil, err
			}
		}
	}
	if err := s.containers.Remove(ctx, sb.ID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return nil, err
	}
	if err := s.state.remove(sb.ID); err != nil {
		slog.WarnContext(ctx, "removing sandbox state", "id", sb.ID, "err", err)
	}
	return &runtimeapi.RemovePodSandboxResponse{}, nil
}

// sandboxes are the pause containers of every pod, newest first.
func (s *Server) sandboxes(ctx context.Context) []apicontainer.Summary {
	return s.ofKind(ctx, kindSandbox)
}

// findSandbox finds a sandbox by ID or unique ID prefix.
func (s *Server) findSandbox(ctx context.Context, id string) (apicontainer.Summary, error) {
	return s.find(ctx, kindSandbox, "pod sandbox", id)
}

// verboseInfo is the "info" map of a verbose status: extra and the pid of
// engine container id while it runs, as JSON.
func (s *Server) verboseInfo(ctx context.Context, id string, extra map[string]any) (map[string]string, error) {
	if insp, err := s.containers.Inspect(ctx, id); err == nil && insp.State != nil && insp.State.Pid != 0 {
		extra["pid"] = insp.State.Pid
	}
	b, err := json.Marshal(extra)
	if err != nil {
		return nil, err
	}
	return map[string]string{"info": string(b)}, nil
}

// ofKind are the CRI's engine containers of one kind (sandbox or
// container), newest first.
func (s *Server) ofKind(ctx context.Context, kind string) []apicontainer.Summary {
	var out []apicontainer.Summary
	for _, c := range s.containers.List(ctx) {
		if c.Labels[labelKind] == kind {
			out = append(out, c)
		}
	}
	return out
}

// find finds a CRI object of one kind by ID or unique ID prefix; what
// names the kind in errors.
func (s *Server) find(ctx context.Context, kind, what, id string) (apicontainer.Summary, error) {
	if id == "" {
		return apicontainer.Summary{}, status.Errorf(codes.InvalidArgument, "%s ID is empty", what)
	}
	var found []apicontainer.Summary
	for _, c := range s.ofKind(ctx, kind) {
		if c.ID == id {
			return c, nil
		}
		if strings.HasPrefix(c.ID, id) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return apicontainer.Summary{}, errdefs.NotFound("%s %s not found", what, id)
	default:
		return apicontainer.Summary{}, errdefs.InvalidParameter("%s ID prefix %s is ambiguous", what, id)
	}
}

// sandboxStatus is the CRI's view of sandbox sb.
func (s *Server) sandboxStatus(sb apicontainer.Summary) (*runtimeapi.PodSandboxStatus, *sandboxState) {
	st, err := s.state.load(sb.ID)
	if err != nil {
		st = nil
	}
	out := &runtimeapi.PodSandboxStatus{
		Id:        sb.ID,
		State:     runtimeapi.PodSandboxState_SANDBOX_NOTREADY,
		CreatedAt: time.Unix(sb.Created, 0).UnixNano(),
		Metadata: &runtimeapi.PodSandboxMetadata{
			Name: sb.Labels[labelPodName], Namespace: sb.Labels[labelPodNamespace], Uid: sb.Labels[labelPodUID],
		},
	}
	if st == nil {
		return out, nil
	}
	cfg := st.config
	out.Metadata = cfg.GetMetadata()
	out.Labels = cfg.GetLabels()
	out.Annotations = cfg.GetAnnotations()
	out.CreatedAt = st.CreatedAt
	nsOpts := &runtimeapi.NamespaceOption{}
	if o := cfg.GetLinux().GetSecurityContext().GetNamespaceOptions(); o != nil {
		nsOpts.Network, nsOpts.Pid, nsOpts.Ipc = o.Network, o.Pid, o.Ipc
	}
	out.Linux = &runtimeapi.LinuxPodSandboxStatus{Namespaces: &runtimeapi.Namespace{Options: nsOpts}}
	netUp := st.HostNet || (st.Network != nil && !st.NetDown)
	if sb.State == apicontainer.StateRunning && netUp {
		out.State = runtimeapi.PodSandboxState_SANDBOX_READY
	}
	if st.Network != nil && !st.NetDown && len(st.Network.IPs) > 0 {
		out.Network = &runtimeapi.PodSandboxNetworkStatus{Ip: st.Network.IPs[0]}
		for _, ip := range st.Network.IPs[1:] {
			out.Network.AdditionalIps = append(out.Network.AdditionalIps, &runtimeapi.PodIP{Ip: ip})
		}
	}
	return out, st
}

func (r *runtimeService) PodSandboxStatus(ctx context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	s := r.s
	sb, err := s.findSandbox(ctx, req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	out, st := s.sandboxStatus(sb)
	resp := &runtimeapi.PodSandboxStatusResponse{Status: out, Timestamp: time.Now().UnixNano()}
	if req.Verbose {
		extra := map[string]any{"pauseContainer": sb.ID, "image": image.PauseRef}
		if st != nil {
			extra["network"] = st.Network
			extra["hostNetwork"] = st.HostNet
		}
		info, err := s.verboseInfo(ctx, sb.ID, extra)
		if err != nil {
			return nil, err
		}
		resp.Info = info
	}
	return resp, nil
}

func (r *runtimeService) ListPodSandbox(ctx context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	s := r.s
	f := req.GetFilter()
	resp := &runtimeapi.ListPodSandboxResponse{Items: []*runtimeapi.PodSandbox{}}
	for _, sb := range s.sandboxes(ctx) {
		if f.GetId() != "" && !strings.HasPrefix(sb.ID, f.GetId()) {
			continue
		}
		st, _ := s.sandboxStatus(sb)
		if f.GetState() != nil && f.GetState().GetState() != st.State {
			continue
		}
		if !labelsMatch(st.Labels, f.GetLabelSelector()) {
			continue
		}
		resp.Items = append(resp.Items, &runtimeapi.PodSandbox{
			Id: st.Id, Metadata: st.Metadata, State: st.State, CreatedAt: st.CreatedAt,
			Labels: st.Labels, Annotations: st.Annotations,
		})
	}
	slices.SortStableFunc(resp.Items, func(a, b *runtimeapi.PodSandbox) int { return cmp.Compare(b.CreatedAt, a.CreatedAt) })
	return resp, nil
}

// labelsMatch tells whether labels have every key and value of selector.
func labelsMatch(labels, selector map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}
