package userns

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// tugd refuses to start with a userns-remap it cannot set up, saying why.
func TestTugdRefusesARemapItCannotSetUp(t *testing.T) {
	testutil.RequiresRoot(t)
	bin := testutil.Binaries(t)
	for _, tc := range []struct{ remap, want string }{
		{"no-such-user", `Error during uid lookup for "no-such-user"`},
		{"root:no-such-group", `Error during groupname lookup for "no-such-group"`},
		{"a:b:c", `Invalid user/group specification in --userns-remap: "a:b:c"`},
		{"4000000", "Uid 4000000 has no entry in /etc/passwd"},
		// nobody exists and has no subordinate ranges.
		{"nobody:nogroup", `Can't create ID mappings: no subordinate ranges for user "nobody" in /etc/subuid`},
	} {
		t.Run(tc.remap, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "daemon.json")
			if err := os.WriteFile(cfg, []byte(`{"userns-remap": "`+tc.remap+`"}`), 0o644); err != nil {
				t.Fatal(err)
			}
			execRoot, err := os.MkdirTemp("", "tug-run")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(execRoot)
			cmd := exec.Command(filepath.Join(bin, "tugd"), "--config-file", cfg, "-H", "unix://"+filepath.Join(execRoot, "s.sock"),
				"--data-root", filepath.Join(dir, "root"), "--exec-root", execRoot)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Errorf("tugd with userns-remap %q: %v, %q; want an error with %q", tc.remap, err, out, tc.want)
			}
		})
	}
}
