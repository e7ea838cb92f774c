package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

func TestMultiStage(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := writeContext(t, map[string]string{
		"Dockerfile": `FROM busybox AS deps
RUN echo deps > /deps.txt
FROM busybox AS unused
RUN exit 1
FROM busybox AS tools
RUN echo tools > /tools.txt
FROM deps AS final
COPY --from=tools /tools.txt /tools.txt
COPY --from=busybox /bin/busybox /copied-busybox
CMD ["cat", "/deps.txt", "/tools.txt"]
`,
	})
	r := build(t, d, "-t", "multi:1", dir)
	if strings.Contains(r.Stdout, "exit 1") {
		t.Errorf("the unused stage was built:\n%s", r.Stdout)
	}
	if got := d.Tug("run", "--rm", "multi:1"); got.Stdout != "deps\ntools\n" {
		t.Errorf("run multi:1: %s", got)
	}
	// Output keeps the Dockerfile's order even though stages ran in parallel.
	i, j := strings.Index(r.Stdout, "RUN echo deps"), strings.Index(r.Stdout, "RUN echo tools")
	if i < 0 || j < 0 || i > j {
		t.Errorf("stage output out of order:\n%s", r.Stdout)
	}
	// --target stops at a stage.
	build(t, d, "-t", "multi:tools", "--target", "tools", dir)
	if got := d.Tug("run", "--rm", "multi:tools", "cat", "/tools.txt"); got.Stdout != "tools\n" {
		t.Errorf("run multi:tools: %s", got)
	}
	if got := d.Tug("run", "--rm", "multi:tools", "test", "-e", "/deps.txt"); got.ExitCode != 1 {
		t.Errorf("target image has the deps stage's file: %s", got)
	}
	if r := d.Tug("build", "--target", "nope", dir); r.ExitCode == 0 || !strings.Contains(r.Stderr, "failed to reach build target nope") {
		t.Errorf("unknown target: %s", r)
	}
	checkNoContainers(t, d)
}

func TestDockerignore(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := writeContext(t, map[string]string{
		"Dockerfile":    "FROM busybox\nCOPY . /ctx/\nCMD [\"find\", \"/ctx\", \"-type\", \"f\"]\n",
		".dockerignore": "secret.txt\nlogs/\n*.tmp\n!keep.tmp\n",
		"secret.txt":    "no",
		"logs/a.log":    "no",
		"x.tmp":         "no",
		"keep.tmp":      "yes",
		"src/main.c":    "yes",
	})
	build(t, d, "-t", "ign:1", dir)
	r := d.Tug("run", "--rm", "ign:1")
	got := strings.Fields(r.Stdout)
	for _, want := range []string{"/ctx/keep.tmp", "/ctx/src/main.c"} {
		if !strings.Contains(r.Stdout, want+"\n") {
			t.Errorf("%s missing: %v", want, got)
		}
	}
	for _, no := range []string{"secret.txt", "a.log", "x.tmp"} {
		if strings.Contains(r.Stdout, no) {
			t.Errorf("%s was sent: %v", no, got)
		}
	}
	// An ignored file cannot be copied.
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nCOPY secret.txt /\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := d.Tug("build", dir); r.ExitCode == 0 || !strings.Contains(r.Stderr, "file not found in build context or excluded by .dockerignore") {
		t.Errorf("COPY of an ignored file: %s", r)
	}
	// Dockerfile.dockerignore wins over .dockerignore; -f with a path.
	if err := os.WriteFile(filepath.Join(dir, "other.Dockerfile"), []byte("FROM busybox\nCOPY secret.txt /\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "other.Dockerfile.dockerignore"), []byte("logs/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build(t, d, "-f", filepath.Join(dir, "other.Dockerfile"), "-t", "ign:2", dir)
	if r := d.Tug("run", "--rm", "ign:2", "cat", "/secret.txt"); r.Stdout != "no" {
		t.Errorf("Dockerfile.dockerignore: %s", r)
	}
	// Dockerfile from stdin, context from a directory; and stdin as the context.
	if r := d.TugIn("FROM busybox\nCOPY src/main.c /\n", "build", "-f", "-", "-t", "ign:3", dir); r.ExitCode != 0 {
		t.Errorf("build -f -: %s", r)
	}
	if r := d.TugIn("FROM busybox\nLABEL from=stdin\n", "build", "-t", "ign:4", "-"); r.ExitCode != 0 || inspect(t, d, "{{.Config.Labels.from}}", "ign:4") != "stdin" {
		t.Errorf("build -: %s", r)
	}
	checkNoContainers(t, d)
}
