package exec

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/tug-project/tug/internal/testutil"
)

// step is input typed on the terminal after a pause; with resize set, the
// terminal is resized to it first.
type step struct {
	input  string
	resize *pty.Winsize
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runPTY runs cmd on a 30x100 pseudo-terminal, plays steps half a second
// apart, and returns everything the terminal showed and the exit status.
func runPTY(t *testing.T, cmd *exec.Cmd, steps ...step) (string, int) {
	t.Helper()
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	out := &lockedBuf{}
	done := make(chan struct{})
	go func() { _, _ = io.Copy(out, ptmx); close(done) }()
	for _, s := range steps {
		time.Sleep(500 * time.Millisecond)
		if s.resize != nil {
			if err := pty.Setsize(ptmx, s.resize); err != nil {
				t.Fatal(err)
			}
		}
		if s.input != "" {
			if _, err := ptmx.Write([]byte(s.input)); err != nil {
				t.Fatal(err)
			}
		}
	}
	werr := make(chan error, 1)
	go func() { werr <- cmd.Wait() }()
	select {
	case <-werr:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%v hung; terminal showed %q", cmd.Args, out.String())
	}
	select {
	case <-done:
	case <-time.After(time.Second):
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// tugCmd is the tug CLI against d.
func tugCmd(d *testutil.Daemon, args ...string) *exec.Cmd {
	return exec.Command(filepath.Join(d.Bin, "tug"), append([]string{"-H", d.Host}, args...)...)
}

// dockerCmd is the stock docker CLI against d; the test is skipped without one.
func dockerCmd(t *testing.T, d *testutil.Daemon, args ...string) *exec.Cmd {
	path, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker CLI not installed")
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host, "DOCKER_CONFIG="+t.TempDir())
	return cmd
}
