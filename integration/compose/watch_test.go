package compose

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// TestWatchSyncsAnEditedFile: `compose watch` copies web/index.html into
// the running web container when it changes on the host (develop.watch,
// action sync), where the published port serves it.
func TestWatchSyncsAnEditedFile(t *testing.T) {
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			s := startStack(t, cli)
			dir := filepath.Join(t.TempDir(), "stack")
			if out, err := exec.Command("cp", "-a", filepath.Join(repoDir(), "examples", "stack"), dir).CombinedOutput(); err != nil {
				t.Fatalf("copying the stack: %v\n%s", err, out)
			}
			s.file = filepath.Join(dir, "compose.yaml")
			s.up()
			url := s.webURL(1)

			watch := s.cmd("watch", "--no-up")
			var out testutil.SafeBuffer
			watch.Stdout, watch.Stderr = &out, &out
			if err := watch.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = watch.Process.Kill(); _ = watch.Wait() }()

			// Edit until watch has picked an edit up (it may start watching
			// after the first one).
			page := filepath.Join(dir, "web", "index.html")
			n := 0
			ok := testutil.WaitFor(30*time.Second, func() bool {
				n++
				want := "<h1>edited " + strings.Repeat("!", n) + "</h1>\n"
				if err := os.WriteFile(page, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
				return testutil.WaitFor(2*time.Second, func() bool { return strings.HasPrefix(get(t, url+"/"), "<h1>edited") })
			})
			if !ok {
				t.Fatalf("the edited page never reached web; watch printed:\n%s", out.String())
			}
		})
	}
}
