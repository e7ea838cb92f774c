package cri

import (
	"context"
	"errors"

	apievents "github.com/moby/moby/api/types/events"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/errdefs"
)

// GetContainerEvents streams the lifecycle events of pods and their
// containers, for the kubelet's evented PLEG: created, started, stopped
// and deleted, of containers under their own ID and of sandboxes under
// the sandbox's, each with the pod's sandbox status and the statuses of
// its containers, as containerd sends them. The events come from the
// engine's event bus (the one behind the Engine API's /events); the
// stream ends with Unavailable if the client falls behind or the server
// shuts down.
//
// The response headers go out once the subscription is in place, so a
// client that waits for them misses no later event.
func (r *runtimeService) GetContainerEvents(req *runtimeapi.GetEventsRequest, stream runtimeapi.RuntimeService_GetContainerEventsServer) error {
	live, cancel := r.s.containers.Events()
	defer cancel()
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	ctx := stream.Context()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.s.stopping.Done():
			return status.Error(codes.Unavailable, "container events: the runtime is shutting down")
		case m, ok := <-live:
			if !ok {
				return status.Error(codes.Unavailable, "container events subscription closed by the server: the client fell behind")
			}
			ev := r.s.containerEvent(ctx, m)
			if ev == nil {
				continue
			}
			if err := stream.Send(ev); err != nil {
				return err
			}
		}
	}
}

// criEventType is the CRI event of an engine container action; false for
// actions the CRI does not report.
func criEventType(a apievents.Action) (runtimeapi.ContainerEventType, bool) {
	switch a {
	case apievents.ActionCreate:
		return runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT, true
	case apievents.ActionStart:
		return runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT, true
	case apievents.ActionDie:
		return runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT, true
	case apievents.ActionDestroy:
		return runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT, true
	}
	return 0, false
}

// containerEvent is the CRI event of engine event m about a CRI
// container, or nil when the CRI reports none: another action, or the
// creation or start of an object a failed RunPodSandbox or CreateContainer
// already took back.
func (s *Server) containerEvent(ctx context.Context, m apievents.Message) *runtimeapi.ContainerEventResponse {
	typ, ok := criEventType(m.Action)
	if !ok {
		return nil
	}
	attrs := m.Actor.Attributes
	id, kind := m.Actor.ID, attrs[labelKind]
	sandboxID := attrs[labelSandbox]
	switch kind {
	case kindSandbox:
		sandboxID = id
	case kindContainer:
	default:
		return nil
	}
	// The engine publishes while a CRI call that holds s.mu is still
	// saving the state the statuses are made of (a new container's
	// config, a new pod's network): wait for it to finish.
	s.mu.Lock()
	s.mu.Unlock() //nolint:staticcheck // an empty critical section: a barrier

	born := typ == runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT || typ == runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT
	if born && !s.known(ctx, kind, id) {
		return nil
	}
	return &runtimeapi.ContainerEventResponse{
		ContainerId:        id,
		ContainerEventType: typ,
		CreatedAt:          m.TimeNano,
		PodSandboxStatus:   s.eventSandboxStatus(ctx, sandboxID, attrs),
		ContainersStatuses: s.sandboxContainerStatuses(ctx, sandboxID),
	}
}

// known tells whether CRI object id of kind is there with its CRI state.
func (s *Server) known(ctx context.Context, kind, id string) bool {
	var err error
	if kind == kindSandbox {
		_, err = s.state.load(id)
	} else {
		_, err = s.state.loadContainer(id)
	}
	if err != nil {
		return false
	}
	_, err = s.find(ctx, kind, kind, id)
	return err == nil
}

// eventSandboxStatus is the status of sandbox id; once the sandbox is gone,
// one made of the pod metadata the event's labels carry (NOTREADY), which
// is what a kubelet needs to find the pod of a deletion.
func (s *Server) eventSandboxStatus(ctx context.Context, id string, attrs map[string]string) *runtimeapi.PodSandboxStatus {
	if sb, err := s.findSandbox(ctx, id); err == nil {
		st, _ := s.sandboxStatus(sb)
		return st
	}
	return &runtimeapi.PodSandboxStatus{
		Id:    id,
		State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY,
		Metadata: &runtimeapi.PodSandboxMetadata{
			Name: attrs[labelPodName], Namespace: attrs[labelPodNamespace], Uid: attrs[labelPodUID],
		},
	}
}

// sandboxContainerStatuses are the statuses of the containers of sandbox
// id, newest first.
func (s *Server) sandboxContainerStatuses(ctx context.Context, id string) []*runtimeapi.ContainerStatus {
	var out []*runtimeapi.ContainerStatus
	for _, c := range s.podContainers(ctx) {
		if c.Labels[labelSandbox] != id {
			continue
		}
		st, err := s.containerStatus(ctx, c)
		if err != nil {
			if !errors.Is(err, errdefs.ErrNotFound) {
				s.cfg.Logger.WarnContext(ctx, "container status for an event", "id", c.ID, "err", err)
			}
			continue
		}
		out = append(out, st)
	}
	return out
}
