package format

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
)

// Default container formats (docker ps).
const (
	DefaultContainerTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
	ContainerSizeColumn   = "\t{{.Size}}"
	QuietIDFormat         = "{{.ID}}"
)

// ContainerHeader holds docker ps's column titles.
var ContainerHeader = HeaderContext{
	"ID":           "CONTAINER ID",
	"Image":        "IMAGE",
	"Command":      "COMMAND",
	"CreatedAt":    "CREATED AT",
	"RunningFor":   "CREATED",
	"Ports":        "PORTS",
	"State":        "STATE",
	"Status":       "STATUS",
	"Size":         "SIZE",
	"Names":        "NAMES",
	"Labels":       "LABELS",
	"Mounts":       "MOUNTS",
	"LocalVolumes": "LOCAL VOLUMES",
	"Networks":     "NETWORKS",
	"Platform":     "PLATFORM",
}

// ContainerRow is one container as docker ps's templates see it.
type ContainerRow struct {
	C     container.Summary
	Trunc bool
	Now   time.Time
}

// ID is the container ID, 12 characters unless --no-trunc.
func (r ContainerRow) ID() string {
	if r.Trunc {
		return TruncateID(r.C.ID)
	}
	return r.C.ID
}

// Names are the container's names without the leading slash; truncated
// output leaves out link names (those containing a slash).
func (r ContainerRow) Names() string {
	names := make([]string, 0, len(r.C.Names))
	for _, n := range r.C.Names {
		names = append(names, strings.TrimPrefix(n, "/"))
	}
	if r.Trunc {
		for _, n := range names {
			if !strings.Contains(n, "/") {
				return n
			}
		}
	}
	return strings.Join(names, ",")
}

// Image is the image reference, shortened like docker when truncating.
func (r ContainerRow) Image() string {
	img := r.C.Image
	if img == "" {
		return "<no image>"
	}
	if !r.Trunc {
		return img
	}
	if t := TruncateID(img); t == TruncateID(r.C.ImageID) && strings.HasPrefix(img, "sha256:") {
		return t
	}
	if ref, err := reference.ParseNormalizedNamed(img); err == nil {
		if _, ok := ref.(reference.Digested); ok {
			if tagged, ok := ref.(reference.NamedTagged); ok {
				if t, err := reference.WithTag(reference.TrimNamed(ref), tagged.Tag()); err == nil {
					return reference.FamiliarString(t)
				}
			}
			return reference.FamiliarName(ref)
		}
	}
	return img
}

// Command is the quoted command line, cut to 20 characters when truncating.
func (r ContainerRow) Command() string {
	c := r.C.Command
	if r.Trunc {
		c = Ellipsis(c, 20)
	}
	return strconv.Quote(c)
}

// CreatedAt is the creation time as Go prints it.
func (r ContainerRow) CreatedAt() string {
	return time.Unix(r.C.Created, 0).String()
}

// RunningFor is how long ago the container was created ("5 seconds ago").
func (r ContainerRow) RunningFor() string {
	return Since(r.Now, time.Unix(r.C.Created, 0))
}

// Ports lists published and exposed ports.
func (r ContainerRow) Ports() string { return DisplayablePorts(r.C.Ports) }

// State is the container's state word.
func (r ContainerRow) State() string { return string(r.C.State) }

// Status is the daemon's status text ("Up 3 seconds").
func (r ContainerRow) Status() string {
	if r.C.Status == "" && r.C.State == "created" {
		return "Created"
	}
	return r.C.Status
}

// Size is the writable layer size, with the virtual size when known.
func (r ContainerRow) Size() string {
	rw := units.HumanSizeWithPrecision(float64(r.C.SizeRw), 3)
	if r.C.SizeRootFs > 0 {
		return fmt.Sprintf("%s (virtual %s)", rw, units.HumanSizeWithPrecision(float64(r.C.SizeRootFs), 3))
	}
	return rw
}

// Labels is k=v,... sorted by key.
func (r ContainerRow) Labels() string { return joinLabels(r.C.Labels) }

// Label is one label's value.
func (r ContainerRow) Label(name string) string { return r.C.Labels[name] }

// Mounts lists mount names (volume names or sources).
func (r ContainerRow) Mounts() string {
	var m []string
	for _, mp := range r.C.Mounts {
		name := mp.Name
		if name == "" {
			name = mp.Source
		}
		if r.Trunc {
			name = Ellipsis(name, 15)
		}
		m = append(m, name)
	}
	return strings.Join(m, ",")
}

// LocalVolumes counts mounts of local volumes.
func (r ContainerRow) LocalVolumes() string {
	n := 0
	for _, mp := range r.C.Mounts {
		if mp.Driver == "local" {
			n++
		}
	}
	return strconv.Itoa(n)
}

// Networks lists the networks the container is attached to.
func (r ContainerRow) Networks() string {
	if r.C.NetworkSettings == nil {
		return ""
	}
	var n []string
	for k := range r.C.NetworkSettings.Networks {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ",")
}

// Platform is the image platform when the daemon reports it.
func (r ContainerRow) Platform() any {
	if d := r.C.ImageManifestDescriptor; d != nil && d.Platform != nil {
		return d.Platform
	}
	return nil
}

// MarshalJSON renders the row the way `docker ps --format json` does.
func (r ContainerRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"Command":      r.Command(),
		"CreatedAt":    r.CreatedAt(),
		"ID":           r.ID(),
		"Image":        r.Image(),
		"Labels":       r.Labels(),
		"LocalVolumes": r.LocalVolumes(),
		"Mounts":       r.Mounts(),
		"Names":        r.Names(),
		"Networks":     r.Networks(),
		"Platform":     r.Platform(),
		"Ports":        r.Ports(),
		"RunningFor":   r.RunningFor(),
		"Size":         r.Size(),
		"State":        r.State(),
		"Status":       r.Status(),
	})
}

// Since is docker's "X ago" text for t seen at now.
func Since(now, t time.Time) string {
	return units.HumanDuration(now.UTC().Sub(t)) + " ago"
}

func joinLabels(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+l[k])
	}
	return strings.Join(parts, ",")
}

// DisplayablePorts renders ports like docker ps: "0.0.0.0:8080->80/tcp, 443/tcp".
func DisplayablePorts(ports []container.PortSummary) string {
	ps := append([]container.PortSummary(nil), ports...)
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].PublicPort != ps[j].PublicPort {
			return ps[i].PublicPort < ps[j].PublicPort
		}
		if ps[i].PrivatePort != ps[j].PrivatePort {
			return ps[i].PrivatePort < ps[j].PrivatePort
		}
		return ps[i].IP.String() < ps[j].IP.String()
	})
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.PublicPort == 0 {
			out = append(out, fmt.Sprintf("%d/%s", p.PrivatePort, p.Type))
			continue
		}
		ip := ""
		if p.IP.IsValid() {
			ip = p.IP.String()
			if p.IP.Is6() {
				ip = "[" + ip + "]"
			}
			ip += ":"
		}
		out = append(out, fmt.Sprintf("%s%d->%d/%s", ip, p.PublicPort, p.PrivatePort, p.Type))
	}
	return strings.Join(out, ", ")
}
