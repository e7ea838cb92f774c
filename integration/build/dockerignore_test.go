package build

import (
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// An exception pattern (!dir/file) brings a file back from an ignored
// directory, as moby/patternmatcher and Docker's context walk do, through
// the tug CLI and the docker CLI alike.
func TestDockerignoreExceptionInIgnoredDir(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := writeContext(t, map[string]string{
		"Dockerfile":        "FROM busybox\nCOPY . /ctx/\nCOPY logs /logs/\nCMD [\"find\", \"/ctx\", \"/logs\", \"-type\", \"f\"]\n",
		".dockerignore":     "logs/\n!logs/keep.log\nvendor\n!vendor/a/keep.go\n",
		"logs/a.log":        "no",
		"logs/keep.log":     "yes",
		"vendor/a/drop.go":  "no",
		"vendor/a/keep.go":  "yes",
		"vendor/b/other.go": "no",
		"src/main.c":        "yes",
	})
	for _, c := range d.CLIs() {
		t.Run(c.Name, func(t *testing.T) {
			if r := c.Run("", "build", "-t", "ign-"+c.Name, dir); r.ExitCode != 0 {
				t.Fatalf("build: %s", r)
			}
			r := d.Tug("run", "--rm", "--network", "none", "ign-"+c.Name)
			for _, want := range []string{"/ctx/logs/keep.log", "/ctx/vendor/a/keep.go", "/ctx/src/main.c", "/logs/keep.log"} {
				if !strings.Contains(r.Stdout, want+"\n") {
					t.Errorf("%s missing:\n%s", want, r.Stdout)
				}
			}
			for _, no := range []string{"a.log", "drop.go", "other.go"} {
				if strings.Contains(r.Stdout, no) {
					t.Errorf("%s was copied:\n%s", no, r.Stdout)
				}
			}
		})
	}
}
