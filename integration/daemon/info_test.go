package daemon

import (
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// info counts the images and names the storage and logging drivers.
func TestInfoReportsImagesAndDrivers(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	// busybox and the built-in hello-world.
	r := d.Tug("info", "--format", "{{.Images}} {{.Driver}} {{.LoggingDriver}}")
	if strings.TrimSpace(r.Stdout) != "2 overlay2 json-file" {
		t.Errorf("info = %s; want 2 overlay2 json-file", r)
	}
}
