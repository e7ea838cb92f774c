package ops

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// must runs tug and fails the test unless it exits 0; it returns stdout, trimmed.
func must(t *testing.T, d *testutil.Daemon, args ...string) string {
	t.Helper()
	r := d.Tug(args...)
	if r.ExitCode != 0 {
		t.Fatalf("tug %s: %s", strings.Join(args, " "), r)
	}
	return strings.TrimSpace(r.Stdout)
}

func inspect(d *testutil.Daemon, format, ref string) string {
	return strings.TrimSpace(d.Tug("inspect", "--format", format, ref).Stdout)
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustUnixNano(s string) time.Time {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Unix(0, n)
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func nowString() string { return time.Now().Format(time.RFC3339Nano) }
