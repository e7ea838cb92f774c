package daemon

import (
	"context"
	"log/slog"
	"path"
	"slices"
	"strings"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/network/controller"
	"github.com/tug-project/tug/internal/network/links"
)

// Legacy links (--link NAME[:ALIAS]); the rules are in
// internal/network/links, the addresses in the network controller.

// resolveLinks checks the links of container name, being created, and
// puts them in the form they are kept in: on the default bridge
// HostConfig.Links of existing containers as "/child:/name/alias"; on a
// user network they go to its endpoint's Links (aliases of the embedded
// DNS), as the docker CLI sends them.
func (d *Daemon) resolveLinks(name string, hc *apicontainer.HostConfig, nc **network.NetworkingConfig) error {
	if len(hc.Links) == 0 {
		return nil
	}
	switch m := hc.NetworkMode; {
	case m.IsHost():
		return errdefs.InvalidParameter("conflicting options: host type networking can't be used with links. This would result in undefined behavior")
	case m.IsContainer():
		return errdefs.InvalidParameter("conflicting options: container type network can't be used with links. This would result in undefined behavior")
	case m.IsNone():
		return errdefs.InvalidParameter("conflicting options: --network none has no network for links")
	case m.IsUserDefined():
		if *nc == nil {
			*nc = &network.NetworkingConfig{}
		}
		if (*nc).EndpointsConfig == nil {
			(*nc).EndpointsConfig = map[string]*network.EndpointSettings{}
		}
		es := (*nc).EndpointsConfig[string(m)]
		if es == nil {
			es = &network.EndpointSettings{}
			(*nc).EndpointsConfig[string(m)] = es
		}
		if len(es.Links) == 0 {
			es.Links = slices.Clone(hc.Links)
		}
		return nil
	}
	out := make([]string, 0, len(hc.Links))
	for _, l := range hc.Links {
		child, alias, err := links.Parse(l)
		if err != nil {
			return errdefs.InvalidParameter("%s", err.Error())
		}
		c, err := d.lookup(child)
		if err != nil {
			// 400 as in Docker: a 404 would make clients pull the image.
			return errdefs.InvalidParameter("could not get container for %s: No such container: %s", child, child)
		}
		out = append(out, links.Stored(c.Name, name, alias))
	}
	hc.Links = out
	return nil
}

// linksOf returns the legacy links of c, about to start on the default
// bridge: each linked container must run.
func (d *Daemon) linksOf(c *container.Container) ([]controller.Link, error) {
	m := c.HostConfig.NetworkMode
	if len(c.HostConfig.Links) == 0 || m.IsUserDefined() || m.IsHost() || m.IsNone() || m.IsContainer() {
		return nil, nil
	}
	var out []controller.Link
	for _, l := range c.HostConfig.Links {
		name, alias, err := links.Parse(l)
		if err != nil {
			return nil, errdefs.InvalidParameter("%s", err.Error())
		}
		child, err := d.lookup(name)
		if err != nil {
			return nil, errdefs.NotFound("could not get container for %s: No such container: %s", name, name)
		}
		// The child's lock is not taken: its ID, config and running state
		// are read once; a race only risks a clear error.
		if d.task(child.ID) == nil {
			return nil, errdefs.Conflict("Cannot link to a non running container: /%s AS /%s/%s", child.Name, c.Name, alias)
		}
		var ports []string
		for p := range child.Config.ExposedPorts {
			ports = append(ports, p.String())
		}
		out = append(out, controller.Link{Alias: alias, ContainerID: child.ID,
			Child: links.Child{Name: child.Name, Hostname: child.Config.Hostname, Ports: ports, Env: slices.Clone(child.Config.Env)}})
	}
	return out, nil
}

// renameLinks makes the legacy links to or of container old, now named
// new, follow the name, as Docker's do (its links are kept by ID): a
// parent still starts with its renamed child, and inspect shows the names
// they have now.
func (d *Daemon) renameLinks(old, new string) {
	for _, p := range d.containers.List() {
		p.Lock()
		if ls, changed := links.Renamed(p.HostConfig.Links, p.Name, old, new); changed {
			p.HostConfig.Links = ls
			if err := d.containers.Save(p); err != nil {
				slog.Warn("saving links after a rename", "container", p.ID, "err", err)
			}
		}
		p.Unlock()
	}
}

// linkEnv picks the variables of a container's links lks out of env, the
// environment its process started with (exec gets them too, as in Docker).
func linkEnv(lks, env []string) []string {
	var prefixes []string
	for _, l := range lks {
		if _, alias, err := links.Parse(l); err == nil {
			prefixes = append(prefixes, strings.ReplaceAll(strings.ToUpper(alias), "-", "_")+"_")
		}
	}
	if len(prefixes) == 0 {
		return nil
	}
	var out []string
	for _, kv := range env {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				out = append(out, kv)
				break
			}
		}
	}
	return out
}

// ContainerRemoveLink removes the legacy link /parent/alias (DELETE
// /containers/{name}?link=1, `docker rm --link`).
func (d *Daemon) ContainerRemoveLink(ctx context.Context, ref string) error {
	ref = strings.TrimPrefix(ref, "/")
	parentName, alias := path.Split(ref)
	parentName = strings.TrimSuffix(parentName, "/")
	if parentName == "" {
		return errdefs.InvalidParameter("Conflict, cannot remove the default link name of the container")
	}
	parent, err := d.lookup(parentName)
	if err != nil {
		return errdefs.NotFound("No such container: %s", ref)
	}
	parent.Lock()
	defer parent.Unlock()
	i := slices.IndexFunc(parent.HostConfig.Links, func(l string) bool {
		_, a, err := links.Parse(l)
		return err == nil && a == alias
	})
	if i < 0 {
		return errdefs.NotFound("No such container: %s", ref)
	}
	parent.HostConfig.Links = slices.Delete(parent.HostConfig.Links, i, i+1)
	return d.containers.Save(parent)
}
