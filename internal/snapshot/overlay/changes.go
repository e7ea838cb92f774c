package overlay

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ChangeKind is how a path changed, with Docker's numbering.
type ChangeKind int

// The change kinds.
const (
	ChangeModify ChangeKind = 0
	ChangeAdd    ChangeKind = 1
	ChangeDelete ChangeKind = 2
)

// Change is one changed path of a container snapshot ("/etc/x").
type Change struct {
	Kind ChangeKind
	Path string
}

// Changes lists what the container snapshot key changed on top of its
// layers, in path order, like Docker's overlay driver: a whiteout is a
// deletion; an entry of the upper dir that exists in a layer is a
// modification (a directory only when its size, mode or mtime differ), any
// other an addition; the parent of an addition or deletion counts as
// modified. The list is sorted by path.
func (s *Snapshotter) Changes(ctx context.Context, key string) ([]Change, error) {
	dir, err := s.containerDir(key)
	if err != nil {
		return nil, err
	}
	parent, err := s.containerParent(key)
	if err != nil {
		return nil, err
	}
	lowers, err := s.lowers(dir, parent)
	if err != nil {
		return nil, err
	}
	out, err := changes(ctx, filepath.Join(dir, "upper"), lowers)
	if err != nil || exists(filepath.Join(dir, "init")) {
		return out, err
	}
	return hideMountpoints(out, legacyMountpoints), nil
}

// changes walks upper against the layer dirs lowers (top first).
func changes(ctx context.Context, upper string, lowers []string) ([]Change, error) {
	var out []Change
	changedDirs := map[string]bool{}
	err := filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walk
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(upper, p)
		if err != nil || rel == "." {
			return err
		}
		path := "/" + filepath.ToSlash(rel)
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		c := Change{Path: path, Kind: ChangeAdd}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0 {
			c.Kind = ChangeDelete
		} else {
			for _, l := range lowers {
				lst, err := os.Stat(filepath.Join(l, rel))
				if err != nil {
					continue
				}
				if lst.IsDir() && fi.IsDir() && lst.Size() == fi.Size() && lst.Mode() == fi.Mode() &&
					fi.ModTime().Truncate(time.Second).Equal(lst.ModTime().Truncate(time.Second)) {
					return nil // the same directory: only there for its children
				}
				c.Kind = ChangeModify
				break
			}
		}
		if fi.IsDir() {
			changedDirs[path] = true
		}
		if c.Kind == ChangeAdd || c.Kind == ChangeDelete {
			if parent := filepath.Dir(path); parent != "/" && !changedDirs[parent] {
				out = append(out, Change{Path: parent, Kind: ChangeModify})
				changedDirs[parent] = true
			}
		}
		out = append(out, c)
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	slices.SortStableFunc(out, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return out, err
}

// hideMountpoints drops the additions of paths (the empty files and
// directories a runtime creates as mount points, like Docker's init layer
// hides /etc/hosts) and then the modifications of their parent
// directories that no other change explains.
func hideMountpoints(changes []Change, paths []string) []Change {
	hidden := map[string]bool{}
	var out []Change
	for _, c := range changes {
		if c.Kind == ChangeAdd && slices.Contains(paths, c.Path) {
			hidden[filepath.Dir(c.Path)] = true
			continue
		}
		out = append(out, c)
	}
	return slices.DeleteFunc(out, func(c Change) bool {
		if c.Kind != ChangeModify || !hidden[c.Path] {
			return false
		}
		for _, o := range out {
			if strings.HasPrefix(o.Path, c.Path+"/") {
				return false
			}
		}
		return true
	})
}
