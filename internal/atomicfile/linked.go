package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Linked replaces the content of a file that need not survive a machine
// crash, as Replace does, more cheaply: ext4 starts the writeback of a
// file renamed over another (auto_da_alloc), 0.3-1 ms on this kind of
// disk, on every replace. Each Write makes a new file path.N instead and
// points the symbolic link path at it (the link is what is renamed over
// the old one: it has no data to write back), then removes the previous
// file. Readers open path and see the old or the new content, never a
// mix; a process killed at any point leaves path whole. Not for
// concurrent use.
type Linked struct {
	path string
	n    uint64
	cur  string // the file path points at, written by this Linked
}

// NewLinked returns the Linked of path. Files path.N that earlier
// processes left (killed between two steps of a Write) are removed by
// the first Write.
func NewLinked(path string) *Linked {
	return &Linked{path: path, n: uint64(time.Now().UnixNano())}
}

// Write points path at a new file holding data, mode perm.
func (l *Linked) Write(data []byte, perm os.FileMode) error {
	var name string
	var f *os.File
	for {
		l.n++
		name = l.path + "." + strconv.FormatUint(l.n, 10)
		var err error
		if f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm); err == nil {
			break
		} else if !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	_, err := f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		tmp := filepath.Join(filepath.Dir(l.path), "."+filepath.Base(name)+".link")
		_ = os.Remove(tmp)
		if err = os.Symlink(filepath.Base(name), tmp); err == nil {
			if err = os.Rename(tmp, l.path); err != nil {
				_ = os.Remove(tmp)
			}
		}
	}
	if err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("writing %s: %w", l.path, err)
	}
	if l.cur != "" {
		_ = os.Remove(l.cur)
	} else {
		l.removeStale(name)
	}
	l.cur = name
	return nil
}

// Release removes the file path pointed at after l's last Write, once
// path was replaced by other means (a durable write of the same file).
func (l *Linked) Release() {
	if l.cur != "" {
		_ = os.Remove(l.cur)
		l.cur = ""
	}
}

// removeStale removes the files path.N other than keep.
func (l *Linked) removeStale(keep string) {
	ents, err := os.ReadDir(filepath.Dir(l.path))
	if err != nil {
		return
	}
	prefix := filepath.Base(l.path) + "."
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		if _, err := strconv.ParseUint(rest, 10, 64); err != nil {
			continue
		}
		if p := filepath.Join(filepath.Dir(l.path), e.Name()); p != keep {
			_ = os.Remove(p)
		}
	}
}
