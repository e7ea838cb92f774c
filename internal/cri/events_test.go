package cri

import (
	"testing"

	apievents "github.com/moby/moby/api/types/events"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestCRIEventTypeOfEngineActions(t *testing.T) {
	tests := []struct {
		action apievents.Action
		want   runtimeapi.ContainerEventType
		ok     bool
	}{
		{apievents.ActionCreate, runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT, true},
		{apievents.ActionStart, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT, true},
		{apievents.ActionDie, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT, true},
		{apievents.ActionDestroy, runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT, true},
		// Kills and stops precede a die; the CRI reports the die alone.
		{apievents.ActionKill, 0, false},
		{apievents.ActionStop, 0, false},
		{apievents.ActionOOM, 0, false},
		{apievents.Action("exec_start: sh"), 0, false},
	}
	for _, tt := range tests {
		got, ok := criEventType(tt.action)
		if got != tt.want || ok != tt.ok {
			t.Errorf("criEventType(%s) = %v, %v; want %v, %v", tt.action, got, ok, tt.want, tt.ok)
		}
	}
}
