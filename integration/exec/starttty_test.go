package exec

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// Whether POST /exec/{id}/start multiplexes its stream is the start
// request's Tty, not the exec's config, as in Docker.
func TestExecStartTtyDecidesMultiplexing(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	startShell(t, d, "ctr")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := func(t *testing.T, execTTY, startTTY bool) []byte {
		t.Helper()
		ex, err := d.Client.ExecCreate(ctx, "ctr", client.ExecCreateOptions{TTY: execTTY, AttachStdout: true, AttachStderr: true, Cmd: []string{"echo", "hello"}})
		if err != nil {
			t.Fatalf("ExecCreate() = %v", err)
		}
		resp, err := d.Client.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{TTY: startTTY})
		if err != nil {
			t.Fatalf("ExecAttach() = %v", err)
		}
		defer resp.Close()
		b, err := io.ReadAll(resp.Reader)
		if err != nil {
			t.Fatalf("reading the exec's output: %v", err)
		}
		return b
	}

	t.Run("tty exec started without tty", func(t *testing.T) {
		b := start(t, true, false)
		var stdout, stderr bytes.Buffer
		if _, err := stdcopy.StdCopy(&stdout, &stderr, bytes.NewReader(b)); err != nil {
			t.Fatalf("StdCopy(%q) = %v, want a multiplexed stream", b, err)
		}
		if got := strings.TrimRight(stdout.String(), "\r\n"); got != "hello" {
			t.Errorf("stdout = %q, want hello", stdout.String())
		}
	})
	t.Run("exec without tty started with tty", func(t *testing.T) {
		if b := start(t, false, true); string(b) != "hello\n" {
			t.Errorf("raw stream = %q, want %q", b, "hello\n")
		}
	})
}
