package volume

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cp and the archive API read and write through volumes and binds, of a
// stopped and of a running container, and leave nothing mounted.
func TestCpThroughMounts(t *testing.T) {
	d := startDaemon(t)
	host := t.TempDir()
	src := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(src, []byte("copied in\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.tug("create", "--name", "cpc", "--network", "none", "-v", "cpvol:/data", "-v", host+":/h", "-v", "rov:/ro:ro", "bb", "sleep", "60")
	d.tug("cp", src, "cpc:/data/in.txt")
	d.tug("cp", src, "cpc:/h/in.txt")
	if b, err := os.ReadFile(filepath.Join(host, "in.txt")); err != nil || string(b) != "copied in\n" {
		t.Fatalf("bind after cp: %q, %v", b, err)
	}
	if got := d.tug("run", "--rm", "--network", "none", "-v", "cpvol:/v", "bb", "cat", "/v/in.txt"); got != "copied in" {
		t.Fatalf("volume after cp: %q", got)
	}
	d.fails("mounted volume is marked read-only", "cp", src, "cpc:/ro/")
	out := filepath.Join(t.TempDir(), "out.txt")
	d.tug("cp", "cpc:/data/in.txt", out)
	if b, _ := os.ReadFile(out); string(b) != "copied in\n" {
		t.Fatalf("cp out of a volume: %q", b)
	}
	// A running container: the same through the docker CLI.
	d.tug("start", "cpc")
	if r := d.Docker("cp", "cpc:/data/in.txt", out+"2"); r.ExitCode != 0 {
		t.Fatalf("docker cp out of a running container's volume: %s", r)
	}
	if r := d.Docker("cp", src, "cpc:/data/second.txt"); r.ExitCode != 0 {
		t.Fatalf("docker cp into a running container's volume: %s", r)
	}
	if got := d.tug("exec", "cpc", "cat", "/data/second.txt"); !strings.Contains(got, "copied in") {
		t.Fatalf("exec sees %q", got)
	}
	d.tug("rm", "-f", "cpc")
	d.tug("volume", "rm", "cpvol", "rov")
}
