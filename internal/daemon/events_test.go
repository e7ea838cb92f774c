package daemon

import (
	"testing"

	apievents "github.com/moby/moby/api/types/events"

	"github.com/tug-project/tug/internal/filters"
)

func TestEventMatchesFilters(t *testing.T) {
	m := apievents.Message{
		Type:   apievents.ContainerEventType,
		Action: apievents.ActionStart,
		Actor:  apievents.Actor{ID: "c0ffee42", Attributes: map[string]string{"name": "web", "image": "busybox", "tier": "test"}},
	}
	tests := []struct {
		f    filters.Args
		want bool
	}{
		{filters.Args{}, true},
		{filters.Args{"type": {"image", "container"}}, true},
		{filters.Args{"type": {"network"}}, false},
		{filters.Args{"event": {"start"}, "container": {"c0ffee"}}, true},
		{filters.Args{"container": {"web"}}, true},
		{filters.Args{"container": {"db"}}, false},
		{filters.Args{"image": {"busybox"}}, true},
		{filters.Args{"label": {"tier=test"}}, true},
		{filters.Args{"label": {"tier=test", "tier"}}, true},
		{filters.Args{"label": {"tier=prod", "tier"}}, false}, // every label must match, as in moby's events filter
		{filters.Args{"label": {"tier=prod"}}, false},
	}
	for _, tt := range tests {
		if got := eventMatches(m, tt.f); got != tt.want {
			t.Errorf("eventMatches(%v) = %v, want %v", tt.f, got, tt.want)
		}
	}
}
