package mount

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// Info is one line of /proc/self/mountinfo that matters to callers: the
// mount point and its optional fields ("shared:N", "master:N").
type Info struct {
	Mountpoint string
	Optional   []string
}

// Shared reports whether the mount propagates (shared:N).
func (i Info) Shared() bool { return i.has("shared:") }

// Slave reports whether the mount receives propagation (master:N).
func (i Info) Slave() bool { return i.has("master:") }

func (i Info) has(prefix string) bool {
	for _, o := range i.Optional {
		if strings.HasPrefix(o, prefix) {
			return true
		}
	}
	return false
}

// Mounts lists the mounts of tugd's mount namespace, in mount order.
func Mounts() ([]Info, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Info
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 7 {
			continue
		}
		info := Info{Mountpoint: unescape(fields[4])}
		for _, o := range fields[6:] {
			if o == "-" {
				break
			}
			info.Optional = append(info.Optional, o)
		}
		out = append(out, info)
	}
	return out, sc.Err()
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			n := 0
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				n = n*8 + int(c-'0')
			}
			if ok {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// IsMountpoint reports whether p is a mount point.
func IsMountpoint(p string) (bool, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return false, err
	}
	infos, err := Mounts()
	if err != nil {
		return false, err
	}
	for _, i := range infos {
		if i.Mountpoint == p {
			return true, nil
		}
	}
	return false, nil
}

// MountOf returns the mount that holds path p (symlinks resolved): the
// last-mounted one with the longest mount point that is a prefix of p.
func MountOf(p string) (Info, error) {
	p, err := filepath.EvalSymlinks(p)
	if err != nil {
		return Info{}, err
	}
	infos, err := Mounts()
	if err != nil {
		return Info{}, err
	}
	var best Info
	for _, i := range infos {
		mp := i.Mountpoint
		if p == mp || mp == "/" || strings.HasPrefix(p, mp+"/") {
			if len(mp) >= len(best.Mountpoint) {
				best = i
			}
		}
	}
	return best, nil
}
