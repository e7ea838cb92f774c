package exec

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// binaryInput is 1 MiB of random bytes that holds the default detach keys
// (ctrl-p ctrl-q) several times over, and their md5 as busybox prints it.
func binaryInput(t *testing.T) (string, string) {
	t.Helper()
	b := make([]byte, 1<<20)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{0, 1000, 65536, len(b) - 2} {
		b[at], b[at+1] = 0x10, 0x11
	}
	sum := md5.Sum(b)
	return string(b), hex.EncodeToString(sum[:])
}

// Without a TTY the detach keys are not looked for: binary stdin reaches
// the process whole through exec -i and run -i, as with Docker.
func TestNonTTYStdinIgnoresDetachKeys(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	startShell(t, d, "ctr")
	in, sum := binaryInput(t)
	for _, c := range d.CLIs() {
		t.Run(c.Name, func(t *testing.T) {
			if r := c.Run(in, "exec", "-i", "ctr", "md5sum"); r.ExitCode != 0 || !strings.HasPrefix(r.Stdout, sum) {
				t.Errorf("exec -i md5sum: %s\nwant %s", r, sum)
			}
			if r := c.Run(in, "run", "-i", "--rm", "--network", "none", "busybox", "md5sum"); r.ExitCode != 0 || !strings.HasPrefix(r.Stdout, sum) {
				t.Errorf("run -i md5sum: %s\nwant %s", r, sum)
			}
		})
	}

	t.Run("client", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		ex, err := d.Client.ExecCreate(ctx, "ctr", client.ExecCreateOptions{Cmd: []string{"md5sum"}, AttachStdin: true, AttachStdout: true, AttachStderr: true})
		if err != nil {
			t.Fatalf("ExecCreate() = %v", err)
		}
		resp, err := d.Client.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
		if err != nil {
			t.Fatalf("ExecAttach() = %v", err)
		}
		defer resp.Close()
		go func() {
			_, _ = io.Copy(resp.Conn, strings.NewReader(in))
			_ = resp.CloseWrite()
		}()
		var stdout, stderr bytes.Buffer
		if _, err := stdcopy.StdCopy(&stdout, &stderr, resp.Reader); err != nil {
			t.Fatalf("reading the exec's output: %v", err)
		}
		if !strings.HasPrefix(stdout.String(), sum) {
			t.Errorf("md5sum through the client = %q (stderr %q), want %s", stdout.String(), stderr.String(), sum)
		}
	})
}
