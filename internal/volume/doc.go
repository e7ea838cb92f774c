// Package volume is a container's mounts and the local volume store.
//
// One mount-point model (MountPoint) comes from every way a mount is asked
// for: `-v` specs (HostConfig.Binds), `--mount` (HostConfig.Mounts), image
// and request VOLUMEs (Config.Volumes), `--volumes-from` and `--tmpfs`;
// Plan turns a create request into the container's mount points, with
// Docker's rules and error texts, before anything is created.
//
// The Store keeps local volumes under <root>/<name>/_data with their
// metadata in <root>/<name>/meta.json (a volume appears by one rename of a
// complete directory, and goes by one rename out of sight), counts which
// containers reference each volume (rebuilt from the containers at start),
// mounts volumes created with driver options (-o type=tmpfs|none,...)
// while containers use them, and copies image content into an empty
// volume on first use (CopyUp).
package volume
