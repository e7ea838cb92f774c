package overlay

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// The init layer of a container snapshot (Docker's "-init" layer) sits
// between the image's layers and the container's upper dir and holds the
// mount points every container needs, so that the runtime never creates
// them in the upper dir: they show up neither in a container's diff nor
// in a build step's layer.
var (
	initDirs  = []string{"proc", "sys", "dev", "dev/pts", "dev/shm", "etc"}
	initFiles = []string{"etc/hosts", "etc/hostname", "etc/resolv.conf", ".dockerenv"}
)

// legacyMountpoints are the paths a runtime may have created in the upper
// dir of a snapshot prepared before snapshots had an init layer; Changes
// hides them for those.
var legacyMountpoints = []string{
	"/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/.dockerenv",
	"/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/console", "/proc", "/sys", "/sys/fs/cgroup",
}

// The init layer is the same for every container: one directory,
// <root>/init, made (or completed) by New, is the init layer of every
// snapshot, each of which names it through a symbolic link (its "init").
// A snapshot prepared before holds a copy of its own (a directory).
const sharedInit = "init"

// initLink is what a snapshot's "init" link points at: <root>/init from
// <root>/containers/<key> (and from <root>/tmp/<x> while it is prepared).
var initLink = filepath.Join("..", "..", sharedInit)

// ensureInitLayer makes the init layer in dir, or what a crash left out
// of it. It only adds: dir is a lower dir of mounted overlays.
func ensureInitLayer(dir string) error {
	for _, d := range initDirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	for _, f := range initFiles {
		fh, err := os.OpenFile(filepath.Join(dir, f), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := fh.Close(); err != nil {
			return err
		}
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
