package container

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tug-project/tug/internal/testutil"
)

// TestLogRotation: --log-opt max-size/max-file rotate the json-file log
// like Docker; logs reads across the rotated files; bad options are
// refused before a container exists.
func TestLogRotation(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")

	const n = 300
	r := d.Tug("run", "--name", "rot", "--log-opt", "max-size=1k", "--log-opt", "max-file=3", "busybox",
		"sh", "-c", fmt.Sprintf("i=1; while [ $i -le %d ]; do echo line $i; i=$((i+1)); done", n))
	if r.ExitCode != 0 {
		t.Fatalf("run: %s", r)
	}
	if got := strings.TrimSpace(d.Tug("inspect", "--format", "{{json .HostConfig.LogConfig}}", "rot").Stdout); got != `{"Type":"json-file","Config":{"max-file":"3","max-size":"1k"}}` {
		t.Errorf("inspect LogConfig = %s", got)
	}

	logPath := strings.TrimSpace(d.Tug("inspect", "--format", "{{.LogPath}}", "rot").Stdout)
	files, err := filepath.Glob(logPath + "*")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{logPath, logPath + ".1", logPath + ".2"}; !cmp.Equal(files, want) {
		t.Errorf("log files = %v, want %v", files, want)
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 1000 {
			t.Errorf("%s is %d bytes, want <= 1000 (max-size=1k)", f, st.Size())
		}
	}

	// logs: the newest lines, in order, ending with the last one.
	got := strings.Split(strings.TrimSuffix(d.Tug("logs", "rot").Stdout, "\n"), "\n")
	if len(got) < 20 || len(got) > 60 {
		t.Fatalf("logs returned %d lines, want the ~40 that fit in 3 files of 1k: %q", len(got), got)
	}
	first := n - len(got) + 1
	var want []string
	for i := first; i <= n; i++ {
		want = append(want, fmt.Sprintf("line %d", i))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}
	// --tail spans the rotated files.
	tail := len(got) - 2
	if diff := cmp.Diff(want[len(want)-tail:], strings.Split(strings.TrimSuffix(d.Tug("logs", "--tail", fmt.Sprint(tail), "rot").Stdout, "\n"), "\n")); diff != "" {
		t.Errorf("logs --tail %d (-want +got):\n%s", tail, diff)
	}

	d.Tug("rm", "rot")
	bad := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--log-opt", "bogus=1"}, "unknown log opt 'bogus' for json-file log driver"},
		{[]string{"--log-opt", "max-size=lots"}, "invalid size: 'lots'"},
		{[]string{"--log-opt", "max-size=0"}, "max-size must be a positive number"},
		{[]string{"--log-opt", "max-size=1k", "--log-opt", "max-file=0"}, "max-file cannot be less than 1"},
		{[]string{"--log-opt", "tag={{.Name}}"}, "log opt 'tag' is not supported by tug's json-file log driver"},
		{[]string{"--log-driver", "syslog"}, "no log driver named 'syslog' is registered"},
	}
	for _, tt := range bad {
		args := append(append([]string{"run", "--rm"}, tt.args...), "busybox", "true")
		r := d.Tug(args...)
		if r.ExitCode != 125 || !strings.Contains(r.Stderr, tt.wantErr) {
			t.Errorf("tug %v = %s, want exit 125 and %q", args, r, tt.wantErr)
		}
	}
	// The stock docker CLI gets the same refusal.
	if r := d.Docker("run", "--rm", "--log-opt", "bogus=1", "busybox", "true"); r.ExitCode != 125 || !strings.Contains(r.Stderr, "unknown log opt 'bogus' for json-file log driver") {
		t.Errorf("docker run --log-opt bogus=1 = %s, want exit 125", r)
	}
	if ps := strings.TrimSpace(d.Tug("ps", "-aq").Stdout); ps != "" {
		t.Errorf("containers left after refused options: %s", ps)
	}
}
