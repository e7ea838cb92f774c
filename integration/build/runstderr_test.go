package build

import (
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// What a RUN step writes on stderr reaches the build output stream, as
// with Docker's classic builder, on success and on failure.
func TestRunStepStderrInBuildOutput(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	ok := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo to-stdout; echo to-stderr >&2\n"})
	bad := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo failing-on-stderr >&2; exit 3\n"})
	for _, c := range d.CLIs() {
		if r := c.Run("", "build", "--no-cache", ok); r.ExitCode != 0 || !strings.Contains(r.Stdout, "to-stdout") || !strings.Contains(r.Stdout+r.Stderr, "to-stderr") {
			t.Errorf("%s build: %s\nwant to-stdout and to-stderr in the output", c.Name, r)
		}
		if r := c.Run("", "build", "--no-cache", bad); r.ExitCode == 0 || !strings.Contains(r.Stdout+r.Stderr, "failing-on-stderr") {
			t.Errorf("%s failing build: %s\nwant failing-on-stderr in the output", c.Name, r)
		}
	}
	checkNoContainers(t, d)
}
