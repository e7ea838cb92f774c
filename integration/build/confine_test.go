package build

import (
	"slices"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// RUN steps are confined as Docker's classic builder confines them: the
// default seccomp profile (unshare without CAP_SYS_ADMIN fails with EPERM)
// and the default capability set (no CAP_SYS_ADMIN, CAP_CHOWN kept).
func TestRunStepHasTheDefaultConfinement(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := writeContext(t, map[string]string{
		"Dockerfile": `FROM busybox
RUN grep -E '^(Seccomp|CapEff):' /proc/self/status; if unshare -U true; then echo unshare-allowed; else echo unshare-refused; fi
RUN chown 1:1 /tmp && echo chown-allowed
`,
	})
	r := build(t, d, "--no-cache", "-t", "confined", dir)
	out := r.Stdout + r.Stderr
	lines := strings.Split(out, "\n")
	for _, want := range []string{"Seccomp:\t2", "CapEff:\t00000000a80425fb", "unshare-refused", "chown-allowed"} {
		if !slices.Contains(lines, want) {
			t.Errorf("build output lacks the line %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "Operation not permitted") {
		t.Errorf("unshare -U in a RUN step did not fail with EPERM:\n%s", out)
	}
	checkNoContainers(t, d)
}
