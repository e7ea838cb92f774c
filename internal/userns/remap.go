package userns

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/moby/sys/user"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/mount"
)

// Files are the account files a remap is resolved against.
type Files struct {
	Passwd, Group, Subuid, Subgid string
}

// System is the host's account files.
var System = Files{Passwd: "/etc/passwd", Group: "/etc/group", Subuid: "/etc/subuid", Subgid: "/etc/subgid"}

// DefaultUser is the user (and group) userns-remap "default" names.
const DefaultUser = "dockremap"

// Remap is a resolved userns-remap: containers' IDs map to the subordinate
// ranges of User (uids from /etc/subuid, gids from /etc/subgid, both
// looked up by the user's name or uid, as Docker does).
type Remap struct {
	User, Group string
	user.IdentityMapping
}

// UIDMappings are the uid mappings in the OCI spec's form.
func (r *Remap) UIDMappings() []specs.LinuxIDMapping { return specMaps(r.UIDMaps) }

// GIDMappings are the gid mappings in the OCI spec's form.
func (r *Remap) GIDMappings() []specs.LinuxIDMapping { return specMaps(r.GIDMaps) }

// MountIDMap is the mapping as an id-mapped mount takes it.
func (r *Remap) MountIDMap() *mount.IDMap {
	conv := func(ms []user.IDMap) []mount.IDRange {
		out := make([]mount.IDRange, len(ms))
		for i, m := range ms {
			out[i] = mount.IDRange{ContainerID: uint32(m.ID), HostID: uint32(m.ParentID), Size: uint32(m.Count)}
		}
		return out
	}
	return &mount.IDMap{UIDs: conv(r.UIDMaps), GIDs: conv(r.GIDMaps)}
}

func specMaps(ms []user.IDMap) []specs.LinuxIDMapping {
	out := make([]specs.LinuxIDMapping, len(ms))
	for i, m := range ms {
		out[i] = specs.LinuxIDMapping{ContainerID: uint32(m.ID), HostID: uint32(m.ParentID), Size: uint32(m.Count)}
	}
	return out
}

// Parse resolves a userns-remap value other than "default" — USER,
// USER:GROUP, UID or UID:GID — to a user and group name, with Docker's
// rules and texts (moby's parseRemappedRoot): a number must have an
// entry in the passwd or group file, a name alone is also its group.
func Parse(spec string, f Files) (username, groupname string, err error) {
	parts := strings.Split(spec, ":")
	if spec == "" || len(parts) > 2 {
		return "", "", fmt.Errorf("Invalid user/group specification in --userns-remap: %q", spec)
	}
	users := func(match func(user.User) bool) (user.User, error) {
		us, err := user.ParsePasswdFileFilter(f.Passwd, match)
		if err != nil {
			return user.User{}, err
		}
		if len(us) == 0 {
			return user.User{}, user.ErrNoPasswdEntries
		}
		return us[0], nil
	}
	groups := func(match func(user.Group) bool) (user.Group, error) {
		gs, err := user.ParseGroupFileFilter(f.Group, match)
		if err != nil {
			return user.Group{}, err
		}
		if len(gs) == 0 {
			return user.Group{}, user.ErrNoGroupEntries
		}
		return gs[0], nil
	}
	if uid, err := strconv.ParseInt(parts[0], 10, 32); err == nil {
		u, err := users(func(u user.User) bool { return u.Uid == int(uid) })
		if err != nil {
			return "", "", fmt.Errorf("Uid %d has no entry in /etc/passwd: %v", uid, err)
		}
		username = u.Name
		if len(parts) == 1 {
			g, err := groups(func(g user.Group) bool { return g.Gid == int(uid) })
			if err != nil {
				return "", "", fmt.Errorf("Gid %d has no entry in /etc/group: %v", uid, err)
			}
			groupname = g.Name
		}
	} else {
		u, err := users(func(u user.User) bool { return u.Name == parts[0] })
		if err != nil {
			return "", "", fmt.Errorf("Error during uid lookup for %q: %v", parts[0], err)
		}
		username = u.Name
		if len(parts) == 1 {
			g, err := groups(func(g user.Group) bool { return g.Name == parts[0] })
			if err != nil {
				return "", "", fmt.Errorf("Error during gid lookup for %q: %v", parts[0], err)
			}
			groupname = g.Name
		}
	}
	if len(parts) == 2 {
		if gid, err := strconv.ParseInt(parts[1], 10, 32); err == nil {
			g, err := groups(func(g user.Group) bool { return g.Gid == int(gid) })
			if err != nil {
				return "", "", fmt.Errorf("Gid %d has no entry in /etc/group: %v", gid, err)
			}
			groupname = g.Name
		} else {
			if _, err := groups(func(g user.Group) bool { return g.Name == parts[1] }); err != nil {
				return "", "", fmt.Errorf("Error during groupname lookup for %q: %v", parts[1], err)
			}
			groupname = parts[1]
		}
	}
	return username, groupname, nil
}

// Load resolves the remap of username and groupname: the subordinate
// ranges of the user (by name or uid) in the subuid and subgid files,
// each file's ranges laid end to end from container ID 0, as Docker does.
func Load(username, groupname string, f Files) (*Remap, error) {
	us, err := user.ParsePasswdFileFilter(f.Passwd, func(u user.User) bool { return u.Name == username })
	if err != nil || len(us) == 0 {
		return nil, fmt.Errorf("could not get user for username %s: %v", username, errors.Join(err, user.ErrNoPasswdEntries))
	}
	r := &Remap{User: username, Group: groupname}
	for _, file := range []struct {
		path string
		out  *[]user.IDMap
	}{{f.Subuid, &r.UIDMaps}, {f.Subgid, &r.GIDMaps}} {
		ranges, err := subRanges(file.path, us[0])
		if err != nil {
			return nil, err
		}
		if len(ranges) == 0 {
			return nil, fmt.Errorf("no subordinate ranges for user %q in %s", username, file.path)
		}
		var next int64
		for _, sr := range ranges {
			*file.out = append(*file.out, user.IDMap{ID: next, ParentID: sr.SubID, Count: sr.Count})
			next += sr.Count
		}
	}
	return r, nil
}

func subRanges(path string, u user.User) ([]user.SubID, error) {
	uid := strconv.Itoa(u.Uid)
	ranges, err := user.ParseSubIDFileFilter(path, func(s user.SubID) bool { return s.Name == u.Name || s.Name == uid })
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return ranges, err
}
