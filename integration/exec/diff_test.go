package exec

import (
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// diff lists what a container added, changed and deleted on its image.
func TestDiff(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("run", "--name", "ctr", "busybox", "sh", "-c", "touch /etc/newfile && rm /etc/group && mkdir /newdir"); r.ExitCode != 0 {
		t.Fatal(r)
	}
	want := "C /etc\nD /etc/group\nA /etc/newfile\nA /newdir\n"
	for _, c := range d.CLIs() {
		if r := c.Run("", "diff", "ctr"); r.ExitCode != 0 || r.Stdout != want {
			t.Errorf("%s diff = %s; want %q", c.Name, r, want)
		}
	}
}
