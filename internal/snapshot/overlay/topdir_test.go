package overlay

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestUnpackDirectoryIsATopDirectory checks that the directory layers
// are unpacked in carries ext4's top-directory flag (chattr +T), where
// the file system has it.
func TestUnpackDirectoryIsATopDirectory(t *testing.T) {
	root := t.TempDir()
	probe := filepath.Join(root, "probe") // can this file system carry it?
	if err := os.Mkdir(probe, 0o700); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(probe, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err == nil {
		err = unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(flags|fsTopdirFl))
	}
	unix.Close(fd)
	if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EPERM) {
		t.Skipf("%s cannot carry the flag: %v", probe, err)
	}
	if err != nil {
		t.Fatal(err)
	}

	s, err := New(filepath.Join(root, "snap"))
	if err != nil {
		t.Fatal(err)
	}
	fd, err = unix.Open(filepath.Join(s.root, "tmp"), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS); err != nil || flags&fsTopdirFl == 0 {
		t.Fatalf("flags of the unpack directory = %#x, %v; want FS_TOPDIR_FL", flags, err)
	}
}
