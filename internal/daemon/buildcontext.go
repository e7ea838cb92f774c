package daemon

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/errdefs"
)

// checkContextDir vets a build's tug-context-dir: the tug CLI, on the same
// host, names its context directory instead of streaming it as a tar, and
// the builder reads it in place.
//
// SECURITY: this makes tugd read any directory on the host on behalf of an
// API client. That is acceptable only because the API is served on unix
// sockets alone, made 0660 and owned by root (api/server.Listen): whoever
// can send this request is root and could read the directory anyway. If
// tugd ever serves TCP, or grants the socket to a group of non-root users,
// this parameter must be refused for those clients. Within the directory
// the builder reads through os.Root, so symlinks cannot lead out of it.
//
// id, when set, is "<boot id>:<device>:<inode>" of the directory as the
// client sees it; a directory that is not the same one here (a client on
// another host, or in another mount namespace) is refused, so that the
// client falls back to a tar stream rather than build from the wrong files.
func checkContextDir(dir, id string) error {
	fail := func(format string, args ...any) error {
		return errdefs.InvalidParameter("%w %s: %s", backend.ErrBuildContextDir, dir, fmt.Sprintf(format, args...))
	}
	if !filepath.IsAbs(dir) || filepath.Clean(dir) != dir {
		return fail("not an absolute, clean path")
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fail("%v", unwrapPathError(err))
	}
	if !fi.IsDir() {
		return fail("not a directory")
	}
	if id != "" {
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fail("no stat data")
		}
		if want := contextID(st); id != want {
			return fail("not the client's directory (%s here, %s there)", want, id)
		}
	}
	f, err := os.Open(dir)
	if err != nil {
		return fail("%v", unwrapPathError(err))
	}
	defer f.Close()
	if _, err := f.Readdirnames(1); err != nil && !errors.Is(err, io.EOF) {
		return fail("%v", unwrapPathError(err))
	}
	return nil
}

// contextID is "<boot id>:<device>:<inode>" of a directory (the CLI
// computes the same).
func contextID(st *syscall.Stat_t) string {
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(boot)) + ":" + strconv.FormatUint(uint64(st.Dev), 10) + ":" + strconv.FormatUint(st.Ino, 10)
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
