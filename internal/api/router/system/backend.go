package system

import (
	"context"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/system"

	"github.com/tug-project/tug/internal/filters"
)

// Backend is everything the system router needs.
type Backend interface {
	SystemInfo(ctx context.Context) (*system.Info, error)
	SystemVersion(ctx context.Context) system.VersionResponse
	// SubscribeEvents returns the stored events in [since, until] that match
	// f, and, when until is zero, a channel of live ones; cancel ends
	// the subscription and closes the channel.
	SubscribeEvents(ctx context.Context, since, until time.Time, f filters.Args) (past []events.Message, live <-chan events.Message, cancel func())
	diskUsageBackend // df.go
}
