package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// The same builds through the stock docker CLI (classic builder API).
func TestDockerCLI(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := writeContext(t, map[string]string{
		"Dockerfile":    "FROM busybox AS base\nARG MSG=hi\nRUN echo $MSG > /msg\nFROM base\nCOPY a.txt /a.txt\nLABEL k=v\nCMD [\"cat\", \"/msg\", \"/a.txt\"]\n",
		"a.txt":         "a\n",
		".dockerignore": "ignored\n",
		"ignored":       "x",
	})
	r := d.Docker("build", "-t", "dk:1", "--build-arg", "MSG=hello", dir)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "Successfully tagged dk:1") {
		t.Fatalf("docker build: %s", r)
	}
	if got := d.Tug("run", "--rm", "dk:1"); got.Stdout != "hello\na\n" {
		t.Errorf("run: %s", got)
	}
	r2 := d.Docker("build", "-q", "-t", "dk:1", "--build-arg", "MSG=hello", dir)
	if id := inspect(t, d, "{{.Id}}", "dk:1"); r2.ExitCode != 0 || strings.TrimSpace(r2.Stdout) != id {
		t.Errorf("docker build -q (cached) = %s, want %s", r2, id)
	}
	// A failing RUN: docker exits with the command's code and Docker's message.
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN exit 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r3 := d.Docker("build", dir)
	if r3.ExitCode != 3 || !strings.Contains(r3.Stderr, "The command '/bin/sh -c exit 3' returned a non-zero code: 3") {
		t.Errorf("docker build of a failing RUN: %s", r3)
	}
	// What tug's builder prune does not implement is refused, not ignored.
	if r := d.Docker("builder", "prune", "-f", "--filter", "until=24h"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "filter 'until' is not supported") {
		t.Errorf("docker builder prune --filter until=24h: %s\nwant a refusal naming the filter", r)
	}
	if r := d.Docker("builder", "prune", "-f", "--keep-storage", "1g"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "keep-storage is not supported by tug") {
		t.Errorf("docker builder prune --keep-storage 1g: %s\nwant a refusal naming keep-storage", r)
	}
	if r := d.Docker("builder", "prune", "-f"); r.ExitCode != 0 {
		t.Errorf("docker builder prune: %s", r)
	}
	checkNoContainers(t, d)
}
