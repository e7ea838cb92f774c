package archive

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// prune removes, with Options.Reuse, whatever the directory holds that
// the stream has not written (so far): neither an entry it unpacked, nor
// a directory above one, nor above current (the entry being unpacked, if
// not ""). A directory the stream only implied gets the metadata a fresh
// unpacking creates it with: root's, mode 0755 less the umask, the time
// of now. The tree is then what unpacking the stream so far into an
// empty directory makes.
func (u *unpacker) prune(current string) error {
	implied := map[string]bool{"/": true}
	imply := func(name string) {
		for p := path.Dir(name); !implied[p]; p = path.Dir(p) {
			implied[p] = true
		}
	}
	for name := range u.written {
		imply(name)
	}
	if current != "" {
		imply(current)
	}
	umask, err := processUmask()
	if err != nil {
		return err
	}
	u.forgetDirs() // removals below
	now := unix.NsecToTimespec(time.Now().UnixNano())
	return filepath.WalkDir(u.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(u.dir, p)
		if err != nil {
			return err
		}
		name := path.Clean("/" + filepath.ToSlash(rel))
		switch {
		case name == "/" || u.written[name]:
			return nil
		case implied[name] && d.IsDir():
			if !u.opts.NoChown {
				if err := unix.Lchown(p, 0, 0); err != nil {
					return err
				}
			}
			if err := unix.Chmod(p, 0o755&^umask); err != nil {
				return err
			}
			return unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{now, now}, unix.AT_SYMLINK_NOFOLLOW)
		}
		if err := u.removeExisting(rel); err != nil {
			return err
		}
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	})
}

// processUmask returns the process's umask without changing it (as the
// kernel reports it: umask(2) would set it, for every thread at once).
var processUmask = sync.OnceValues(func() (uint32, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			return uint32(m), err
		}
	}
	return 0, errors.New("no Umask in /proc/self/status")
})
