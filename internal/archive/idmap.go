package archive

import (
	"archive/tar"
	"fmt"
)

// IDMap translates file owners between the host (what is on disk) and a
// container in a user namespace (what a tar carries), as moby's
// IdentityMapping does; nil means no translation.
type IDMap interface {
	ToContainer(uid, gid int) (int, int, error)
	ToHost(uid, gid int) (int, int, error)
}

// toContainer rewrites hdr's owner from the host's IDs to the container's.
// An owner outside the mapping (a file the container cannot own) is an
// error, as in Docker.
func toContainer(ids IDMap, hdr *tar.Header) error {
	if ids == nil {
		return nil
	}
	uid, gid, err := ids.ToContainer(hdr.Uid, hdr.Gid)
	if err != nil {
		return fmt.Errorf("%s: %w", hdr.Name, err)
	}
	hdr.Uid, hdr.Gid = uid, gid
	return nil
}
