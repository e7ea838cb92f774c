package testutil

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BusyboxPath is where Debian's busybox-static installs its binary.
const BusyboxPath = "/bin/busybox"

// RequiresRoot skips the test unless it runs as root.
func RequiresRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("test requires root")
	}
}

// RequiresBusybox skips the test unless a static busybox is installed.
func RequiresBusybox(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(BusyboxPath); err != nil {
		t.Skipf("test requires %s (apt-get install busybox-static)", BusyboxPath)
	}
}

// Applets lists the busybox applets the test images link in /bin.
func Applets(t testing.TB) []string {
	t.Helper()
	out, err := exec.Command(BusyboxPath, "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	return strings.Fields(string(out))
}

// rootfsFiles are the small files every test image carries.
var rootfsFiles = map[string]string{
	"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\ntester:x:1000:1000:tester:/home/tester:/bin/sh\n",
	"etc/group":  "root:x:0:\nnogroup:x:65534:\ntester:x:1000:\nstaff:x:50:tester\n",
}

// BusyboxRootfs writes a minimal busybox root filesystem into a temp dir
// and returns its path: /bin/busybox, a symlink per applet, /etc/passwd,
// /etc/group, and empty /tmp, /root, /proc, /sys, /dev.
func BusyboxRootfs(t testing.TB) string {
	t.Helper()
	RequiresBusybox(t)
	dir := t.TempDir()
	for _, d := range []string{"bin", "etc", "tmp", "root", "proc", "sys", "dev", "home/tester"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	bb, err := os.ReadFile(BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range Applets(t) {
		if a == "busybox" {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	for name, body := range rootfsFiles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// BusyboxTar returns the busybox root filesystem of BusyboxRootfs as an
// uncompressed tar stream, the input of `tug import`.
func BusyboxTar(t testing.TB) []byte {
	t.Helper()
	RequiresBusybox(t)
	b, err := BusyboxTarBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BusyboxTarBytes builds the busybox rootfs tar outside tests (benchmarks).
func BusyboxTarBytes() ([]byte, error) {
	out, err := exec.Command(BusyboxPath, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list: %w", err)
	}
	bb, err := os.ReadFile(BusyboxPath)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var werr error
	write := func(h *tar.Header, body []byte) {
		if werr != nil {
			return
		}
		if werr = tw.WriteHeader(h); werr == nil && len(body) > 0 {
			_, werr = tw.Write(body)
		}
	}
	for _, d := range []string{"bin", "etc", "root", "proc", "sys", "dev", "home", "home/tester"} {
		write(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755}, nil)
	}
	write(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777}, nil)
	write(&tar.Header{Typeflag: tar.TypeReg, Name: "bin/busybox", Mode: 0o755, Size: int64(len(bb))}, bb)
	for _, a := range strings.Fields(string(out)) {
		if a != "busybox" {
			write(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", Mode: 0o777}, nil)
		}
	}
	for _, name := range []string{"etc/group", "etc/passwd"} {
		body := []byte(rootfsFiles[name])
		write(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))}, body)
	}
	if werr != nil {
		return nil, werr
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// HostileTar returns a tar whose entries try to escape the directory they
// are unpacked into: a `../` path towards target, an absolute path, and a
// symlink to / followed by a file written through it.
func HostileTar(t testing.TB, target string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	entries := []tar.Header{
		{Typeflag: tar.TypeReg, Name: "../../../../../../../../" + strings.TrimPrefix(target, "/"), Mode: 0o644, Size: 4},
		{Typeflag: tar.TypeReg, Name: "/tmp/tug-escape", Mode: 0o644, Size: 4},
		{Typeflag: tar.TypeSymlink, Name: "evil", Linkname: "/", Mode: 0o777},
		{Typeflag: tar.TypeReg, Name: "evil" + target, Mode: 0o644, Size: 4},
		{Typeflag: tar.TypeSymlink, Name: "up", Linkname: "../../../../../../../..", Mode: 0o777},
		{Typeflag: tar.TypeReg, Name: "up" + target, Mode: 0o644, Size: 4},
	}
	for _, h := range entries {
		h := h
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte("evil")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
