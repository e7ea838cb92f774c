package build

import (
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// COPY --chown into an existing directory leaves that directory's owner,
// mode and times as they were; only the directories COPY creates get the
// chown, as with Docker. A later USER step can write in its own WORKDIR.
func TestCopyChownKeepsExistingDirectories(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	ctx := writeContext(t, map[string]string{
		"f": "data\n",
		"Dockerfile": `FROM busybox
RUN echo app:x:1234:1234::/home/app:/bin/sh >> /etc/passwd && echo app:x:1234: >> /etc/group && mkdir -p /srv/app && chown app:app /srv/app && chmod 750 /srv/app && touch -t 200102030405.06 /srv/app
COPY --chown=app:app f /srv/app/f
COPY --chown=app:app f /opt/made/by/copy/f
`,
		"Dockerfile.user": `FROM chown
USER app
WORKDIR /srv/app
RUN touch written-by-app
`,
	})
	build(t, d, "-t", "chown", ctx)
	r := d.Tug("run", "--rm", "--network", "none", "chown", "stat", "-c", "%y", "/srv/app")
	if r.ExitCode != 0 || !strings.HasPrefix(r.Stdout, "2001-02-03 04:05:06") {
		t.Errorf("/srv/app's mtime after COPY: %s, want 2001-02-03 04:05:06", r)
	}
	build(t, d, "-t", "chown-user", "-f", ctx+"/Dockerfile.user", ctx)
	r = d.Tug("run", "--rm", "--network", "none", "chown-user", "stat", "-c", "%n %U:%G %a", "/srv", "/srv/app", "/srv/app/f", "/srv/app/written-by-app", "/opt", "/opt/made", "/opt/made/by/copy", "/opt/made/by/copy/f")
	if r.ExitCode != 0 {
		t.Fatalf("stat: %s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	want := []string{
		"/srv root:root 755",
		"/srv/app app:app 750",
		"/srv/app/f app:app 644",
		"/srv/app/written-by-app app:app 644",
		"/opt app:app 755",
		"/opt/made app:app 755",
		"/opt/made/by/copy app:app 755",
		"/opt/made/by/copy/f app:app 644",
	}
	if len(lines) != len(want) {
		t.Fatalf("stat output:\n%s", r.Stdout)
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("stat line %d = %q, want %q ...", i, lines[i], w)
		}
	}
}
