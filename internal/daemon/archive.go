package daemon

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/archive"
	"github.com/tug-project/tug/internal/container"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/mount"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/snapshot/overlay"
)

// runtimeMountpoints are the paths the runtime may create in a container's
// upper dir to mount on; diff does not report them (Docker's init layer).
var runtimeMountpoints = []string{
	"/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/.dockerenv",
	"/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/console", "/proc", "/sys", "/sys/fs/cgroup",
}

// withRootfs runs fn on c's root filesystem with c locked (as Docker
// does): the running container's mount, or a temporary mount of its
// snapshot, unmounted afterwards.
func (d *Daemon) withRootfs(ctx context.Context, ref string, fn func(c *container.Container, rootfs string) error) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	if c.State.Status == apicontainer.StateRemoving || c.State.Dead {
		return errdefs.Conflict("container %s is marked for removal", c.ID)
	}
	rootfs := d.rootfsDir(c.ID)
	if !c.State.Running || d.task(c.ID) == nil {
		mounts, err := d.snapshots.Mounts(ctx, c.ID)
		if err != nil {
			return fmt.Errorf("rootfs of %s: %w", c.ID, err)
		}
		if err := os.MkdirAll(rootfs, 0o755); err != nil {
			return err
		}
		if err := mount.All(mounts, rootfs); err != nil {
			return fmt.Errorf("mounting rootfs: %w", err)
		}
		defer func() { _ = mount.UnmountAll(rootfs) }()
	}
	return fn(c, rootfs)
}

// resolvePath resolves a container path in rootfs like Docker: every
// element but the last is resolved (symlinks stay inside rootfs); a
// trailing "/" or "/." is kept. It returns the host path and the absolute
// container path.
func resolvePath(rootfs, p string) (resolved, abs string, err error) {
	abs = preserveTrailing(filepath.Join("/", p), p)
	dir, base := filepath.Split(abs)
	rdir, err := securejoin.SecureJoin(rootfs, dir)
	if err != nil {
		return "", "", err
	}
	return rdir + string(filepath.Separator) + base, abs, nil
}

// preserveTrailing gives cleaned the trailing "/." or "/" of original.
func preserveTrailing(cleaned, original string) string {
	if filepath.Base(original) == "." && filepath.Base(cleaned) != "." {
		if !strings.HasSuffix(cleaned, "/") {
			cleaned += "/"
		}
		cleaned += "."
	}
	if !strings.HasSuffix(cleaned, "/") && strings.HasSuffix(original, "/") {
		cleaned += "/"
	}
	return cleaned
}

func statPath(c *container.Container, rootfs, resolved, abs, ref string) (*apicontainer.PathStat, error) {
	fi, err := os.Lstat(resolved)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, errNotDir) {
			return nil, errdefs.NotFound("Could not find the file %s in container %s", abs, ref)
		}
		return nil, err
	}
	st := &apicontainer.PathStat{Name: filepath.Base(abs), Size: fi.Size(), Mode: fi.Mode(), Mtime: fi.ModTime()}
	if fi.Mode()&os.ModeSymlink != 0 {
		// The link fully evaluated inside the rootfs.
		host, err := securejoin.SecureJoin(rootfs, abs)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(rootfs, host)
		if err != nil {
			return nil, err
		}
		st.LinkTarget = filepath.Join("/", rel)
	}
	return st, nil
}

var errNotDir = errors.New("not a directory")

// ContainerStatPath describes a path in a container's filesystem.
func (d *Daemon) ContainerStatPath(ctx context.Context, ref, p string) (st *apicontainer.PathStat, err error) {
	err = d.withRootfs(ctx, ref, func(c *container.Container, rootfs string) error {
		resolved, abs, err := resolvePath(rootfs, p)
		if err != nil {
			return err
		}
		st, err = statPath(c, rootfs, resolved, abs, ref)
		return err
	})
	return st, err
}

// ContainerArchivePath writes a tar of a path in a container's filesystem,
// with Docker's entry names: "dir/..." for a directory, "./..." for
// "dir/.", the requested name for a symlinked directory.
func (d *Daemon) ContainerArchivePath(ctx context.Context, ref, p string, out func(*apicontainer.PathStat) io.Writer) error {
	return d.withRootfs(ctx, ref, func(c *container.Container, rootfs string) error {
		resolved, abs, err := resolvePath(rootfs, p)
		if err != nil {
			return err
		}
		st, err := statPath(c, rootfs, resolved, abs, ref)
		if err != nil {
			return err
		}
		resolved = filepath.Clean(resolved)
		if filepath.Base(resolved) == "." {
			resolved += "/."
		}
		dir, base := resolved, "."
		if !st.Mode.IsDir() {
			dir, base = filepath.Split(resolved)
		}
		return archive.Tar(ctx, out(st), dir, base, filepath.Base(abs))
	})
}

// ContainerExtractToDir extracts a tar into a directory of a container's
// filesystem. The path is resolved inside the rootfs (its last element
// too), entries can never leave it, and they belong to root (with
// CopyUIDGID: to the container's user), as with Docker.
func (d *Daemon) ContainerExtractToDir(ctx context.Context, ref, p string, opts backend.ContainerExtractOptions, content io.Reader) error {
	return d.withRootfs(ctx, ref, func(c *container.Container, rootfs string) error {
		abs := preserveTrailing(filepath.Join("/", p), p)
		resolved, err := securejoin.SecureJoin(rootfs, abs)
		if err != nil {
			return err
		}
		fi, err := os.Lstat(resolved)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return errdefs.NotFound("Could not find the file %s in container %s", abs, ref)
			}
			return err
		}
		if !fi.IsDir() {
			return errdefs.InvalidParameter("extraction point is not a directory")
		}
		if c.HostConfig.ReadonlyRootfs {
			return errdefs.InvalidParameter("container rootfs is marked read-only")
		}
		uid, gid := 0, 0
		if opts.CopyUIDGID && c.Config.User != "" {
			s := &specs.Spec{Process: &specs.Process{}}
			if err := oci.WithUser(rootfs, c.Config.User)(s); err != nil {
				return err
			}
			uid, gid = int(s.Process.User.UID), int(s.Process.User.GID)
		}
		r := chownTar(content, uid, gid)
		defer r.Close()
		if err := archive.Unpack(ctx, r, resolved, archive.Options{NoWhiteouts: true}); err != nil {
			return errdefs.InvalidParameter("%s", err.Error())
		}
		return nil
	})
}

// chownTar rewrites the ownership of every entry of r.
func chownTar(r io.Reader, uid, gid int) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		tr := tar.NewReader(r)
		tw := tar.NewWriter(pw)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				pw.CloseWithError(tw.Close())
				return
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = uid, gid, "", ""
			if err := tw.WriteHeader(hdr); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := io.Copy(tw, tr); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return pr
}

// ContainerChanges lists what a container changed on top of its image.
func (d *Daemon) ContainerChanges(ctx context.Context, ref string) ([]apicontainer.FilesystemChange, error) {
	c, err := d.lookup(ref)
	if err != nil {
		return nil, err
	}
	changes, err := d.snapshots.Changes(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	changes = overlay.HideMountpoints(changes, runtimeMountpoints)
	out := make([]apicontainer.FilesystemChange, 0, len(changes))
	for _, ch := range changes {
		out = append(out, apicontainer.FilesystemChange{Kind: apicontainer.ChangeType(ch.Kind), Path: ch.Path})
	}
	return out, nil
}
