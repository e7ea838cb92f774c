package libct

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/oci"
	"github.com/tug-project/tug/internal/testutil"
)

// TestMain makes the test binary the container init, like `tug-shim init`.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		Init()
	}
	code := m.Run()
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/tug-libct-test")
	for _, d := range append(dirs, "/sys/fs/cgroup/tug-libct-test") {
		_ = os.Remove(d)
	}
	os.Exit(code)
}

func TestClassifyGivesCommandErrorsDockerClasses(t *testing.T) {
	tests := []struct {
		msg  string
		want error // nil: returned unchanged
	}{
		{`unable to start container process: exec: "nosuch": executable file not found in $PATH`, errdefs.ErrCommandNotFound},
		{`unable to start container process: exec: "/no/such": stat /no/such: no such file or directory`, errdefs.ErrCommandNotFound},
		{`unable to start container process: exec: "/etc/passwd": permission denied`, errdefs.ErrCannotInvoke},
		{`unable to start container process: exec: "/bin": is a directory`, errdefs.ErrCannotInvoke},
		{`unable to apply cgroup configuration: permission denied`, nil},
	}
	for _, tt := range tests {
		in := errors.New(tt.msg)
		got := classify(in)
		if tt.want == nil {
			if got != in {
				t.Errorf("classify(%q) = %v, want it unchanged", tt.msg, got)
			}
			continue
		}
		if !errors.Is(got, tt.want) {
			t.Errorf("classify(%q) = %v, want class %v", tt.msg, got, tt.want)
		}
	}
}

func TestNewProcessLowersRlimitsToHardLimitAndRefusesUnknown(t *testing.T) {
	var cur unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &cur); err != nil {
		t.Fatal(err)
	}
	if cur.Max == unix.RLIM_INFINITY {
		t.Skip("RLIMIT_NOFILE has no hard limit here: nothing to lower")
	}
	p := &specs.Process{Args: []string{"true"}, Rlimits: []specs.POSIXRlimit{
		{Type: "RLIMIT_NOFILE", Hard: cur.Max + 1, Soft: cur.Max + 1},
	}}
	lp, err := newProcess(p)
	if err != nil {
		t.Fatalf("newProcess() = %v", err)
	}
	if got := lp.Rlimits[0]; got.Hard != cur.Max || got.Soft != cur.Max {
		t.Errorf("RLIMIT_NOFILE = %d/%d, want both lowered to the hard limit %d", got.Soft, got.Hard, cur.Max)
	}
	p.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOSUCH", Hard: 1, Soft: 1}}
	if _, err := newProcess(p); !errors.Is(err, errdefs.ErrInvalidParameter) {
		t.Errorf("newProcess(unknown rlimit) = %v, want class ErrInvalidParameter", err)
	}
}

// A created container runs its command once Exec is called, exits with its
// status, and Destroy leaves no state or cgroup behind.
func TestContainerRunsCommandAndDestroyLeavesNothing(t *testing.T) {
	testutil.RequiresRoot(t)
	rootfs := testutil.BusyboxRootfs(t)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(wd) }) // Create changes to the bundle

	id := fmt.Sprintf("libct-test-%d", os.Getpid())
	bundle := t.TempDir()
	spec, err := oci.New(oci.WithRootfs(rootfs), oci.WithArgs([]string{"sh", "-c", "echo hi; exit 4"}),
		oci.WithNetworkNone(), oci.WithCgroupsPath("/tug-libct-test/"+id))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer outR.Close()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()

	root := filepath.Join(t.TempDir(), "state")
	c, err := Create(CreateOpts{ID: id, Root: root, Bundle: bundle, Stdin: devNull, Stdout: outW, Stderr: outW})
	outW.Close()
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	if c.Pid() <= 0 {
		t.Errorf("Pid() = %d", c.Pid())
	}
	if err := c.Exec(); err != nil {
		t.Fatalf("Exec() = %v", err)
	}
	ws, err := c.Wait()
	if err != nil || ws.ExitStatus() != 4 {
		t.Errorf("Wait() = exit %d, %v; want 4", ws.ExitStatus(), err)
	}
	out := make([]byte, 16)
	n, _ := outR.Read(out)
	if string(out[:n]) != "hi\n" {
		t.Errorf("output = %q, want %q", out[:n], "hi\n")
	}
	if f := c.OOMFile(); !strings.HasPrefix(f, "/sys/fs/cgroup/") {
		t.Errorf("OOMFile() = %q, want the memory cgroup's counter", f)
	}
	if _, err := os.Stat(c.ExecFifo()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("exec fifo %s left after Exec(): %v", c.ExecFifo(), err)
	}
	if err := c.Destroy(); err != nil {
		t.Fatalf("Destroy() = %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state left after Destroy(): %v", err)
	}
	cg, _ := filepath.Glob("/sys/fs/cgroup/*/tug-libct-test/" + id)
	cg2, _ := filepath.Glob("/sys/fs/cgroup/tug-libct-test/" + id)
	if len(cg)+len(cg2) > 0 {
		t.Errorf("cgroups left after Destroy(): %v %v", cg, cg2)
	}
	// Destroying what is already gone is not an error.
	if err := Destroy(root, id); err != nil {
		t.Errorf("Destroy(root, id) of a destroyed container = %v, want nil", err)
	}
}
