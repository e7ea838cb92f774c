package monitor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// removeCgroups removes the container's cgroup directories once its
// processes are gone: what libcontainer's Destroy does for a container
// with its own pid namespace (cgroupfs driver). It follows
// opencontainers/cgroups' RemovePath, which the monitor does not link
// (with it come dbus, systemd and logrus): sub-cgroups first, then the
// directory, retrying while the kernel still counts exiting processes in
// it (EBUSY).
func removeCgroups(paths []string) error {
	var errs []error
	for _, p := range paths {
		if err := removeCgroup(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func removeCgroup(path string) error {
	if err := rmdirCgroup(path, false); err == nil {
		return nil
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			if err := removeCgroup(filepath.Join(path, e.Name())); err != nil {
				return err
			}
		}
	}
	return rmdirCgroup(path, true)
}

func rmdirCgroup(path string, retry bool) error {
	delay := time.Millisecond
	for tries := 10; ; tries-- {
		err := unix.Rmdir(path)
		switch {
		case err == nil, errors.Is(err, unix.ENOENT):
			return nil
		case errors.Is(err, unix.EINTR):
			tries++
			continue
		case errors.Is(err, unix.EBUSY) && retry && tries > 0:
			time.Sleep(delay)
			delay *= 2
			continue
		}
		return fmt.Errorf("remove cgroup %s: %w", path, err)
	}
}
