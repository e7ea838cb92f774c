package image

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

func TestImportTagSaveLoadRmi(t *testing.T) {
	d := testutil.StartDaemon(t)
	tar := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(tar, testutil.BusyboxTar(t), 0o644); err != nil {
		t.Fatal(err)
	}
	r := d.Tug("import", "-c", "CMD [\"echo\", \"from-import\"]", "-m", "test import", tar, "bb:v1")
	id := strings.TrimSpace(r.Stdout)
	if r.ExitCode != 0 || !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("import: %s", r)
	}
	if r := d.Tug("run", "--rm", "bb:v1"); r.Stdout != "from-import\n" {
		t.Errorf("run imported image with CMD change: %s", r)
	}
	if r := d.Tug("tag", "bb:v1", "other/name:v2"); r.ExitCode != 0 {
		t.Fatalf("tag: %s", r)
	}
	r = d.Tug("images")
	if strings.Join(strings.Fields(strings.SplitN(r.Stdout, "\n", 2)[0]), " ") != "REPOSITORY TAG IMAGE ID CREATED SIZE" ||
		!strings.Contains(r.Stdout, id[7:19]) || !strings.Contains(r.Stdout, "other/name") {
		t.Errorf("images:\n%s", r.Stdout)
	}
	if r := d.Tug("image", "inspect", "--format", "{{.Id}} {{.Config.Cmd}}", "other/name:v2"); strings.TrimSpace(r.Stdout) != id+" [echo from-import]" {
		t.Errorf("image inspect = %q", r.Stdout)
	}

	saved := filepath.Join(t.TempDir(), "saved.tar")
	if r := d.Tug("save", "-o", saved, "bb:v1"); r.ExitCode != 0 {
		t.Fatalf("save: %s", r)
	}
	// rmi by ID with two tags needs -f; by name untags.
	if r := d.Tug("rmi", id); r.ExitCode != 1 || !strings.Contains(r.Stderr, "must be forced") {
		t.Errorf("rmi of an image with two repositories: %s", r)
	}
	if r := d.Tug("rmi", "other/name:v2"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Untagged: other/name:v2") {
		t.Errorf("rmi by name: %s", r)
	}
	if r := d.Tug("rmi", "bb:v1"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "Deleted: "+id) {
		t.Errorf("rmi last tag: %s", r)
	}
	if r := d.Tug("images", "-q"); strings.Contains(r.Stdout, id[7:19]) {
		t.Errorf("image still listed after rmi: %s", r.Stdout)
	}
	r = d.Tug("load", "-i", saved)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "Loaded image: bb:v1") {
		t.Fatalf("load: %s", r)
	}
	if r := d.Tug("run", "--rm", "bb:v1"); r.Stdout != "from-import\n" {
		t.Errorf("run loaded image: %s", r)
	}
	if r := d.Tug("inspect", "--format", "{{.Id}}", "bb:v1"); strings.TrimSpace(r.Stdout) != id {
		t.Errorf("loaded image ID = %q, want %s", r.Stdout, id)
	}
}

func TestImportHostileTar(t *testing.T) {
	d := testutil.StartDaemon(t)
	outside := filepath.Join(t.TempDir(), "outside")
	tar := testutil.HostileTar(t, outside)
	f := filepath.Join(t.TempDir(), "evil.tar")
	if err := os.WriteFile(f, tar, 0o644); err != nil {
		t.Fatal(err)
	}
	_ = d.Tug("import", f, "evil")
	if _, err := os.Stat(outside); err == nil {
		t.Fatalf("hostile tar wrote %s outside the store", outside)
	}
	if _, err := os.Stat("/tmp/tug-escape"); err == nil {
		_ = os.Remove("/tmp/tug-escape")
		t.Fatalf("hostile tar wrote /tmp/tug-escape")
	}
}
