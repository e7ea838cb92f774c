package overlay

import (
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

// makeInitLayer creates the init layer in dir.
func makeInitLayer(dir string) error {
	for _, d := range initDirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	for _, f := range initFiles {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
