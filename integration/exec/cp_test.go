package exec

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

func randName(t *testing.T) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "tug-cp-escape-" + hex.EncodeToString(b)
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Errorf("read %s: %v", p, err)
	}
	return string(b)
}

// tarNames lists the entry names of a tar stream.
func tarNames(t *testing.T, b []byte) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		names = append(names, h.Name)
	}
	sort.Strings(names)
	return names
}

const cpSetup = `mkdir -p /data/sub && echo hello > /data/f.txt && echo g > /data/sub/g &&
ln -s /etc /data/link && ln -s / /escape && ln -s ../../../../.. /up`

func TestCp(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	startShell(t, d, "ctr")
	if r := d.Tug("exec", "ctr", "sh", "-c", cpSetup); r.ExitCode != 0 {
		t.Fatal(r)
	}
	hostPasswd, _ := os.ReadFile("/etc/passwd")

	for _, c := range d.CLIs() {
		t.Run(c.Name, func(t *testing.T) {
			dst := t.TempDir()
			cp := func(args ...string) testutil.Result {
				t.Helper()
				r := c.Run("", append([]string{"cp"}, args...)...)
				if r.ExitCode != 0 {
					t.Errorf("cp %v: %s", args, r)
				}
				return r
			}
			// Out of the container.
			cp("ctr:/data/f.txt", dst+"/")
			if got := readFile(t, dst+"/f.txt"); got != "hello\n" {
				t.Errorf("file into a dir = %q", got)
			}
			cp("ctr:/data/f.txt", dst+"/renamed")
			if got := readFile(t, dst+"/renamed"); got != "hello\n" {
				t.Errorf("file to a new name = %q", got)
			}
			cp("ctr:/data", dst+"/new")
			if got := readFile(t, dst+"/new/sub/g"); got != "g\n" {
				t.Errorf("dir to a new name: sub/g = %q", got)
			}
			_ = os.Mkdir(dst+"/into", 0o755)
			cp("ctr:/data", dst+"/into")
			if got := readFile(t, dst+"/into/data/f.txt"); got != "hello\n" {
				t.Errorf("dir into a dir: data/f.txt = %q", got)
			}
			_ = os.Mkdir(dst+"/contents", 0o755)
			cp("ctr:/data/.", dst+"/contents")
			if got := readFile(t, dst+"/contents/f.txt"); got != "hello\n" {
				t.Errorf("dir/. into a dir: f.txt = %q", got)
			}
			cp("ctr:/data/link", dst+"/link")
			if target, err := os.Readlink(dst + "/link"); err != nil || target != "/etc" {
				t.Errorf("symlink copied as %q, %v; want a link to /etc", target, err)
			}
			cp("-L", "ctr:/data/link", dst+"/followed")
			if got := readFile(t, dst+"/followed/passwd"); !strings.Contains(got, "tester") {
				t.Errorf("-L: followed/passwd = %q, want the container's", got)
			}
			// Escapes: links to / and ../.. resolve inside the rootfs.
			cp("ctr:/up/etc/passwd", dst+"/p1")
			cp("ctr:/escape/etc/passwd", dst+"/p2")
			for _, p := range []string{dst + "/p1", dst + "/p2"} {
				if got := readFile(t, p); !strings.Contains(got, "tester") || got == string(hostPasswd) {
					t.Errorf("copy through an escaping link read %q, want the container's passwd", got)
				}
			}
			// Tar on stdout.
			r := cp("ctr:/data", "-")
			if got, want := tarNames(t, []byte(r.Stdout)), []string{"data/", "data/f.txt", "data/link", "data/sub/", "data/sub/g"}; strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("cp to - entries = %v, want %v", got, want)
			}
			if r := c.Run("", "cp", "ctr:/nope", dst); r.ExitCode == 0 || !strings.Contains(r.Stderr, "Could not find the file /nope in container ctr") {
				t.Errorf("cp of a missing file: %s", r)
			}

			// Into the container.
			src := t.TempDir()
			_ = os.WriteFile(src+"/in.txt", []byte("in\n"), 0o644)
			_ = os.MkdirAll(src+"/dir/sub", 0o755)
			_ = os.WriteFile(src+"/dir/sub/x", []byte("x\n"), 0o644)
			cp(src+"/in.txt", "ctr:/tmp/")
			cp(src+"/in.txt", "ctr:/tmp/in-renamed-"+c.Name)
			cp(src+"/dir", "ctr:/tmp/dir-"+c.Name)
			cp(src+"/dir/.", "ctr:/home")
			if r := d.Tug("exec", "ctr", "sh", "-c", "cat /tmp/in.txt /tmp/in-renamed-"+c.Name+" /tmp/dir-"+c.Name+"/sub/x /home/sub/x; stat -c %u /tmp/in.txt"); r.Stdout != "in\nin\nx\nx\n0\n" {
				t.Errorf("files copied in: %s", r)
			}
			// Through escaping links: the files land in the container.
			name := randName(t)
			cp(src+"/in.txt", "ctr:/up/tmp/"+name)
			cp(src+"/in.txt", "ctr:/escape/tmp/"+name+"-2")
			if r := d.Tug("exec", "ctr", "cat", "/tmp/"+name, "/tmp/"+name+"-2"); r.Stdout != "in\nin\n" {
				t.Errorf("copies through escaping links: %s", r)
			}
			for _, p := range []string{"/tmp/" + name, "/tmp/" + name + "-2"} {
				if _, err := os.Lstat(p); err == nil {
					os.Remove(p)
					t.Errorf("cp wrote %s on the host", p)
				}
			}
		})
	}
}

// A hostile tar on stdin stays inside the container's rootfs.
func TestCpHostileTar(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	startShell(t, d, "ctr")
	target := filepath.Join(t.TempDir(), "escaped")
	_ = d.TugIn(string(testutil.HostileTar(t, target)), "cp", "-", "ctr:/tmp")
	for _, p := range []string{target, "/tmp/tug-escape"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("hostile tar wrote %s on the host", p)
		}
	}
}

func TestCpStopped(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("run", "--name", "ctr", "busybox", "sh", "-c", "echo made > /made"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	if r := d.Tug("create", "--name", "fresh", "busybox", "cat", "/tmp/in"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	for _, c := range d.CLIs() {
		dst := t.TempDir()
		if r := c.Run("", "cp", "ctr:/made", dst+"/made"); r.ExitCode != 0 || readFile(t, dst+"/made") != "made\n" {
			t.Errorf("%s cp from an exited container: %s", c.Name, r)
		}
		_ = os.WriteFile(dst+"/in", []byte("copied in "+c.Name+"\n"), 0o644)
		if r := c.Run("", "cp", dst+"/in", "fresh:/tmp/in"); r.ExitCode != 0 {
			t.Errorf("%s cp into a created container: %s", c.Name, r)
		}
	}
	if r := d.Tug("start", "-a", "fresh"); r.Stdout != "copied in docker\n" && r.Stdout != "copied in tug\n" {
		t.Errorf("file copied into a created container: %s", r)
	}
}
