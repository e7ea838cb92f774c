package network

import (
	"context"

	"github.com/moby/moby/api/types/network"
)

// Backend is what the network router needs from the engine.
type Backend interface {
	NetworkList(ctx context.Context, filters map[string][]string) ([]network.Summary, error)
	NetworkInspect(ctx context.Context, ref string) (network.Inspect, error)
	NetworkCreate(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error)
	NetworkRemove(ctx context.Context, ref string) error
	NetworkConnect(ctx context.Context, ref, container string, cfg *network.EndpointSettings) error
	NetworkDisconnect(ctx context.Context, ref, container string, force bool) error
	NetworkPrune(ctx context.Context, filters map[string][]string) (network.PruneReport, error)
}
