package critest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// Pod network of the run: a bridge and subnet no other test uses, with
// the portmap plugin for the host-port specs.
const (
	testBridge = "tugcrit0"
	testSubnet = "10.232.0.0/24"
)

// notPassing are the specs critest does not run against tugd (skipped with
// -ginkgo.skip), each with why; README.md lists them. Keep the two lists
// the same.
var notPassing = []struct{ spec, why string }{
	{"public image with digest should be pulled and removed", "needs the internet: the image is named by the digest of gcr.io's manifest, which no local image can have"},
	{"runtime should support MaskedPaths", "test image: Debian's busybox-static runs ls inside its shell (FEATURE_SH_STANDALONE), so masking /bin/ls cannot hide it; masked paths are tested in integration/cri"},
}

// TestCritestPasses runs critest against tugd and fails on every spec that
// fails; the specs of notPassing are skipped, and each must still exist.
func TestCritestPasses(t *testing.T) {
	testutil.RequiresRoot(t)
	testutil.RequiresBusybox(t)
	bin := critestPath(t)

	cniDir := t.TempDir()
	ipam := filepath.Join(t.TempDir(), "ipam")
	conf := fmt.Sprintf(`{"cniVersion": "1.0.0", "name": "tugcritest", "plugins": [
		{"type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": false,
		 "ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "dataDir": %q}},
		{"type": "portmap", "capabilities": {"portMappings": true}}]}`, testBridge, testSubnet, ipam)
	if err := os.WriteFile(filepath.Join(cniDir, "10-tugcritest.conflist"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", testBridge).Run() })
	// critest pulls its images by their names on registry.k8s.io and
	// gcr.io: tugd gets them from the loopback registry, those hosts'
	// mirror (the origins are never reached: testutil's proxy).
	host := startRegistry(t)
	pushTestImages(t, host)
	mirror := fmt.Sprintf("[%q]", "http://"+host)
	daemonJSON := filepath.Join(t.TempDir(), "daemon.json")
	cfg := fmt.Sprintf(`{"cri": {"registry-mirrors": {"registry.k8s.io": %s, "gcr.io": %s, "k8s.gcr.io": %s}}}`, mirror, mirror, mirror)
	if err := os.WriteFile(daemonJSON, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	d := testutil.StartDaemonWith(t, "--config-file", daemonJSON, "--cri-socket", "unix://{exec-root}/cri.sock", "--cni-conf-dir", cniDir)
	sock := "unix://" + filepath.Join(d.ExecRoot, "cri.sock")

	// The host IPC specs make shared memory segments on the host (ipcmk)
	// and leave them: they go with the test.
	before := shmSegments(t)
	t.Cleanup(func() {
		for id := range shmSegments(t) {
			if !before[id] {
				_ = exec.Command("ipcrm", "-m", id).Run()
			}
		}
	})

	report := filepath.Join(t.TempDir(), "report.json")
	args := []string{
		"-runtime-endpoint", sock, "-image-endpoint", sock,
		"-ginkgo.no-color", "-ginkgo.json-report", report,
		"-ginkgo.timeout", "15m",
	}
	if f := os.Getenv("TUG_CRITEST_FOCUS"); f != "" {
		args = append(args, "-ginkgo.focus", f)
	}
	for _, n := range notPassing {
		args = append(args, "-ginkgo.skip", regexp.QuoteMeta(n.spec))
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("critest ran in %v", time.Since(start).Round(time.Second))
	specs, rerr := readReport(report)
	if rerr != nil {
		t.Fatalf("critest: %v (report: %v)\n%s", err, rerr, out.String())
	}
	counts := map[string]int{}
	var failed []string
	for _, s := range specs {
		counts[s.State]++
		if s.State == "skipped" && s.Failure.Message != "" {
			t.Logf("skipped by critest: %s: %s", s.name(), strings.TrimSpace(s.Failure.Message))
		}
		if s.NumAttempts > 1 {
			t.Logf("%s after %d attempts: %s", s.State, s.NumAttempts, s.name())
		}
		if s.State != "passed" && s.State != "skipped" && s.State != "pending" {
			failed = append(failed, fmt.Sprintf("%s: %s\n    %s", s.State, s.name(), s.Failure.Message))
		}
	}
	t.Logf("critest: %d specs: %d passed, %d failed, %d skipped", len(specs), counts["passed"], len(failed), counts["skipped"])
	if os.Getenv("TUG_CRITEST_LOG") != "" {
		t.Logf("critest output:\n%s", out.String())
	}
	if len(failed) > 0 {
		t.Errorf("%d critest specs failed:\n%s", len(failed), strings.Join(failed, "\n"))
	}
	if os.Getenv("TUG_CRITEST_FOCUS") == "" {
		for _, n := range notPassing {
			found := false
			for _, s := range specs {
				found = found || strings.Contains(s.name(), n.spec)
			}
			if !found {
				t.Errorf("notPassing names %q, which critest does not have", n.spec)
			}
		}
	}
	if err != nil && len(failed) == 0 {
		t.Errorf("critest: %v\n%s", err, out.String())
	}
}

// spec is one entry of ginkgo's JSON report.
type spec struct {
	ContainerHierarchyTexts []string
	LeafNodeText            string
	LeafNodeType            string
	State                   string
	NumAttempts             int
	Failure                 struct{ Message string }
}

func (s spec) name() string {
	return strings.Join(append(append([]string{}, s.ContainerHierarchyTexts...), s.LeafNodeText), " ")
}

// readReport reads the It specs of ginkgo's JSON report.
func readReport(path string) ([]spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var reports []struct{ SpecReports []spec }
	if err := json.Unmarshal(b, &reports); err != nil {
		return nil, err
	}
	var out []spec
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if s.LeafNodeType == "It" {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// shmSegments are the IDs of the host's System V shared memory segments.
func shmSegments(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("/proc/sysvipc/shm")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); i > 0 && len(f) > 1 {
			ids[f[1]] = true
		}
	}
	return ids
}

// critestPath builds critest once (cached across runs by .ci/cri-tools).
func critestPath(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("bash", "../../.ci/cri-tools", "critest").Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf(".ci/cri-tools critest: %v\n%s", err, stderr)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "critest")
}
