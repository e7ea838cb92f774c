package exec

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// TestPutArchiveAcceptsGzip: PUT /containers/{id}/archive takes a
// gzip-compressed tar as Docker does (testcontainers-go sends them).
func TestPutArchiveAcceptsGzip(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	startShell(t, d, "ctr")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	body := "compressed upload\n"
	if err := tw.WriteHeader(&tar.Header{Name: "tmp/gz.txt", Mode: 0o640, Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Client.CopyToContainer(t.Context(), "ctr", client.CopyToContainerOptions{DestinationPath: "/", Content: &buf}); err != nil {
		t.Fatalf("CopyToContainer(gzip tar) = %v", err)
	}
	r := d.Tug("exec", "ctr", "sh", "-c", "stat -c %a /tmp/gz.txt; cat /tmp/gz.txt")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "640\ncompressed upload" {
		t.Errorf("the uploaded file: %s", r)
	}
}
