package system

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/system"
)

func TestPrintEvent(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 120, time.Local)
	stamp := at.Format("2006-01-02T15:04:05.000000000Z07:00")
	tests := []struct {
		name string
		ev   events.Message
		want string
	}{
		{"nanoseconds, attributes sorted",
			events.Message{TimeNano: at.UnixNano(), Type: events.ContainerEventType, Action: events.ActionStart,
				Actor: events.Actor{ID: "c1", Attributes: map[string]string{"name": "web", "image": "busybox"}}},
			stamp + " container start c1 (image=busybox, name=web)\n"},
		{"seconds only",
			events.Message{Time: at.Unix(), Type: events.NetworkEventType, Action: events.ActionCreate, Actor: events.Actor{ID: "n1"}},
			at.Truncate(time.Second).Format("2006-01-02T15:04:05.000000000Z07:00") + " network create n1\n"},
		{"no time",
			events.Message{Type: events.ImageEventType, Action: events.ActionTag, Actor: events.Actor{ID: "sha256:ab"}},
			"image tag sha256:ab\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		PrintEvent(&b, tt.ev)
		if b.String() != tt.want {
			t.Errorf("%s: PrintEvent() = %q, want %q", tt.name, b.String(), tt.want)
		}
	}
}

func TestPrintServerInfo(t *testing.T) {
	info := system.Info{Containers: 3, ContainersRunning: 1, ContainersStopped: 2, Images: 4,
		ServerVersion: "28.0.0-tug", Driver: "overlay2", DriverStatus: [][2]string{{"Backing Filesystem", "extfs"}},
		LoggingDriver: "json-file", CgroupVersion: "2"}
	var b bytes.Buffer
	PrintServerInfo(&b, info)
	got := b.String()
	for _, want := range []string{
		" Containers: 3\n  Running: 1\n  Paused: 0\n  Stopped: 2\n Images: 4\n",
		" Server Version: 28.0.0-tug\n",
		" Storage Driver: overlay2\n  Backing Filesystem: extfs\n",
		" Logging Driver: json-file\n",
		" Cgroup Version: 2\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("PrintServerInfo() = %q, want %q in it", got, want)
		}
	}
	// Empty values are left out, not printed blank.
	for _, absent := range []string{"Cgroup Driver", "Plugins", "Swarm"} {
		if strings.Contains(got, absent) {
			t.Errorf("PrintServerInfo() = %q; want no %s line for an empty value", got, absent)
		}
	}
}
