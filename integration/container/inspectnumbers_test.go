package container

import (
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// TestInspectTemplateNumbersAreIntegers: a template naming a field by its
// JSON name (NanoCpus, not moby's Go NanoCPUs) reads the raw document, and
// its numbers print as integers, as docker prints them (not 5e+08),
// through `tug container inspect`, `tug inspect` and the docker CLI.
func TestInspectTemplateNumbersAreIntegers(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("create", "--name", "nums", "--cpus", "0.5", "--memory", "8g", "busybox", "true"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	const format = "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{json .HostConfig.NanoCpus}}"
	const want = "500000000 8589934592 500000000"
	for _, args := range [][]string{{"container", "inspect"}, {"inspect"}} {
		r := d.Tug(append(args, "-f", format, "nums")...)
		if got := strings.TrimSpace(r.Stdout); r.ExitCode != 0 || got != want {
			t.Errorf("tug %s -f %q = %q (%s), want %q", strings.Join(args, " "), format, got, r, want)
		}
	}
	if r := d.Docker("inspect", "-f", format, "nums"); strings.TrimSpace(r.Stdout) != want {
		t.Errorf("docker inspect -f %q = %s, want %q", format, r, want)
	}
	d.Tug("rm", "nums")
}
