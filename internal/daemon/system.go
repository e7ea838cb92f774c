package daemon

import (
	"context"
	"os"
	goruntime "runtime"
	"strings"
	"time"

	apievents "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/filters"
)

// APIVersion is the newest Engine API version tugd speaks.
const (
	APIVersion    = "1.51"
	MinAPIVersion = "1.24"
)

// SystemVersion answers `tug version`.
func (d *Daemon) SystemVersion(ctx context.Context) system.VersionResponse {
	kernel := kernelVersion()
	return system.VersionResponse{
		Platform:      system.PlatformInfo{Name: "tug Engine"},
		Version:       d.cfg.Version,
		APIVersion:    APIVersion,
		MinAPIVersion: MinAPIVersion,
		Os:            goruntime.GOOS,
		Arch:          goruntime.GOARCH,
		GoVersion:     goruntime.Version(),
		KernelVersion: kernel,
		Components: []system.ComponentVersion{
			{Name: "Engine", Version: d.cfg.Version, Details: map[string]string{
				"ApiVersion": APIVersion, "MinAPIVersion": MinAPIVersion, "Os": goruntime.GOOS,
				"Arch": goruntime.GOARCH, "GoVersion": goruntime.Version(), "KernelVersion": kernel,
			}},
			{Name: "runc (libcontainer, embedded)", Version: "1.5.0"},
		},
	}
}

// SystemInfo answers `tug info`.
func (d *Daemon) SystemInfo(ctx context.Context) (*system.Info, error) {
	info := &system.Info{
		ID:                 "tug",
		Driver:             "overlay2",
		DriverStatus:       [][2]string{{"Backing Filesystem", "extfs"}, {"Supports d_type", "true"}},
		LoggingDriver:      "json-file",
		CgroupDriver:       "cgroupfs",
		CgroupVersion:      cgroupVersion(),
		KernelVersion:      kernelVersion(),
		OperatingSystem:    operatingSystem(),
		OSType:             goruntime.GOOS,
		Architecture:       archName(),
		IndexServerAddress: "https://index.docker.io/v1/",
		NCPU:               goruntime.NumCPU(),
		MemTotal:           memTotal(),
		DockerRootDir:      d.cfg.Root,
		ServerVersion:      d.cfg.Version,
		DefaultRuntime:     "runc",
		LiveRestoreEnabled: true,
		Debug:              d.cfg.Debug,
		SystemTime:         time.Now().Format(time.RFC3339Nano),
		NGoroutines:        goruntime.NumGoroutine(),
		SecurityOptions:    d.securityOptions(),
		Warnings:           []string{},
		Labels:             []string{},
	}
	limitsInfo(info) // system_limits.go
	info.Name, _ = os.Hostname()
	for _, c := range d.containers.List() {
		c.Lock()
		info.Containers++
		switch {
		case c.State.Paused:
			info.ContainersPaused++
		case c.State.Running:
			info.ContainersRunning++
		default:
			info.ContainersStopped++
		}
		c.Unlock()
	}
	if imgs, err := d.images.List(ctx); err == nil {
		info.Images = len(imgs)
	}
	return info, nil
}

// SubscribeEvents returns past and live events matching filters.
func (d *Daemon) SubscribeEvents(ctx context.Context, since, until time.Time, f filters.Args) ([]apievents.Message, <-chan apievents.Message, func()) {
	return d.events.Subscribe(since, until, func(m apievents.Message) bool { return eventMatches(m, f) })
}

// eventMatches applies `events --filter` keys: type, event/action,
// container, image, label.
func eventMatches(m apievents.Message, f filters.Args) bool {
	actor := func(v string) bool {
		return v == m.Actor.ID || strings.HasPrefix(m.Actor.ID, v) || v == m.Actor.Attributes["name"]
	}
	return f.ExactMatch("type", string(m.Type)) &&
		f.Match("event", func(v string) bool { return eventActionMatches(v, string(m.Action)) }) &&
		f.Match("network", func(v string) bool { return m.Type == apievents.NetworkEventType && actor(v) }) &&
		f.Match("container", func(v string) bool { return m.Type == apievents.ContainerEventType && actor(v) }) &&
		f.Match("image", func(v string) bool {
			return m.Type == apievents.ImageEventType && actor(v) || m.Actor.Attributes["image"] == v
		}) &&
		f.MatchKVList("label", m.Actor.Attributes) // every label must match, as in Docker
}

func kernelVersion() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

func archName() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return goruntime.GOARCH
	}
	return unix.ByteSliceToString(u.Machine[:])
}

func operatingSystem() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "Linux"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "Linux"
}

func cgroupVersion() string {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "2"
	}
	return "1"
}

func memTotal() int64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}
