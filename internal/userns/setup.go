package userns

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/moby/sys/user"
)

// Setup resolves daemon.json's userns-remap value: "default" (the
// dockremap user, created with subordinate ranges when missing, as Docker
// does), USER, USER:GROUP, UID or UID:GID. It returns nil for a spec that
// names root: root cannot be remapped to itself, and Docker then runs
// with user namespaces off (the caller says so).
func Setup(spec string, f Files) (*Remap, error) {
	if spec == "default" {
		if err := ensureDefaultUser(f); err != nil {
			return nil, err
		}
		spec = DefaultUser
	}
	username, groupname, err := Parse(spec, f)
	if err != nil {
		return nil, err
	}
	if username == "root" {
		return nil, nil
	}
	r, err := Load(username, groupname, f)
	if err != nil {
		return nil, fmt.Errorf("Can't create ID mappings: %w", err)
	}
	return r, nil
}

// rangeSize and rangeStart are the subordinate range Docker gives
// dockremap: 65536 IDs at the first free place from 100000 on.
const (
	rangeStart = 100000
	rangeSize  = 65536
)

// ensureDefaultUser creates the dockremap user (a system user with its own
// group and no login) unless it exists, and gives it a subordinate uid and
// gid range where it has none, with useradd and usermod as Docker does.
func ensureDefaultUser(f Files) error {
	us, err := user.ParsePasswdFileFilter(f.Passwd, func(u user.User) bool { return u.Name == DefaultUser })
	if err != nil {
		return err
	}
	if len(us) == 0 {
		if out, err := exec.Command("useradd", "-r", "-U", "-s", "/bin/false", DefaultUser).CombinedOutput(); err != nil {
			return fmt.Errorf("creating the %s user: useradd: %v: %s", DefaultUser, err, strings.TrimSpace(string(out)))
		}
		if us, err = user.ParsePasswdFileFilter(f.Passwd, func(u user.User) bool { return u.Name == DefaultUser }); err != nil || len(us) == 0 {
			return fmt.Errorf("creating the %s user: not in %s after useradd", DefaultUser, f.Passwd)
		}
	}
	for _, file := range []struct{ path, flag string }{{f.Subuid, "-v"}, {f.Subgid, "-w"}} {
		mine, err := subRanges(file.path, us[0])
		if err != nil {
			return err
		}
		if len(mine) > 0 {
			continue
		}
		all, err := allRanges(file.path)
		if err != nil {
			return err
		}
		start := FreeRange(all, rangeStart, rangeSize)
		arg := fmt.Sprintf("%d-%d", start, start+rangeSize-1)
		if out, err := exec.Command("usermod", file.flag, arg, DefaultUser).CombinedOutput(); err != nil {
			return fmt.Errorf("adding subordinate range %s to %s in %s: usermod: %v: %s", arg, DefaultUser, file.path, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

func allRanges(path string) ([]user.SubID, error) {
	rs, err := user.ParseSubIDFileFilter(path, func(user.SubID) bool { return true })
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return rs, err
}

// FreeRange returns the first start at or above min where size IDs
// overlap none of the ranges taken.
func FreeRange(taken []user.SubID, min, size int64) int64 {
	taken = slices.Clone(taken)
	slices.SortFunc(taken, func(a, b user.SubID) int { return cmp.Compare(a.SubID, b.SubID) })
	start := min
	for _, r := range taken {
		if r.SubID < start+size && start < r.SubID+r.Count {
			start = r.SubID + r.Count
		}
	}
	return start
}

// CheckAccess refuses a data root the remapped root cannot reach: every
// existing directory above root must let uid or gid (or anyone) search
// it, or container starts would fail (moby's setupDaemonRoot check).
func CheckAccess(root string, uid, gid int) error {
	for p := filepath.Dir(filepath.Clean(root)); p != "/" && p != "."; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		perm := fi.Mode().Perm()
		switch {
		case perm&0o001 != 0:
		case ok && int(st.Uid) == uid && perm&0o100 != 0:
		case ok && int(st.Gid) == gid && perm&0o010 != 0:
		default:
			return fmt.Errorf("a subdirectory in your graphroot path (%s) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories", root)
		}
	}
	return nil
}
