package build

import (
	"archive/tar"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

func TestInstructions(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	tw.WriteHeader(&tar.Header{Name: "x/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "x/in-tar", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3})
	tw.Write([]byte("tar"))
	tw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "remote content")
	}))
	defer srv.Close()
	dir := writeContext(t, map[string]string{
		"Dockerfile": `ARG BASE=busybox
FROM ${BASE}
ARG VERSION=1.0
ARG OTHER
ENV APP_HOME=/srv/app GREETING="hello world"
LABEL org.example.version=$VERSION maintainer="me"
WORKDIR $APP_HOME
WORKDIR sub
RUN echo "$GREETING $VERSION $OTHER" > built.txt
SHELL ["/bin/sh", "-e", "-c"]
RUN ["/bin/sh", "-c", "echo exec-form > /exec.txt"]
COPY files/ /copied/
COPY --chown=1234:5678 --chmod=600 files/one.txt /owned.txt
COPY f*.txt ./globbed/
ADD archive.tar /unpacked/
ADD ` + srv.URL + `/remote.txt /remote/
EXPOSE 8080 53/udp
USER nobody
VOLUME /data
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s CMD true
ONBUILD RUN echo triggered > /tmp/onbuild.txt
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /srv/app/sub/built.txt"]
`,
		"files/one.txt":     "one\n",
		"files/sub/two.txt": "two\n",
		"first.txt":         "first\n",
		"fourth.txt":        "fourth\n",
	})
	if err := os.WriteFile(filepath.Join(dir, "archive.tar"), tarBuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r := build(t, d, "-t", "inst:1", "--build-arg", "OTHER=given", "--label", "extra=yes", dir)
	if !strings.Contains(r.Stdout, "Successfully tagged inst:1") {
		t.Errorf("output: %s", r.Stdout)
	}
	checks := map[string]string{
		"{{json .Config.Env}}":              `["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","APP_HOME=/srv/app","GREETING=hello world"]`,
		"{{.Config.WorkingDir}}":            "/srv/app/sub",
		"{{.Config.User}}":                  "nobody",
		"{{json .Config.Labels}}":           `{"extra":"yes","maintainer":"me","org.example.version":"1.0"}`,
		"{{json .Config.ExposedPorts}}":     `{"53/udp":{},"8080/tcp":{}}`,
		"{{json .Config.Volumes}}":          `{"/data":{}}`,
		"{{.Config.StopSignal}}":            "SIGINT",
		"{{json .Config.Entrypoint}}":       `["/bin/sh","-c"]`,
		"{{json .Config.Cmd}}":              `["cat /srv/app/sub/built.txt"]`,
		"{{json .Config.Shell}}":            `["/bin/sh","-e","-c"]`,
		"{{json .Config.OnBuild}}":          `["RUN echo triggered > /tmp/onbuild.txt"]`,
		"{{json .Config.Healthcheck.Test}}": `["CMD-SHELL","true"]`,
		"{{.Config.Healthcheck.Interval}}":  "5s",
	}
	for f, want := range checks {
		if got := inspect(t, d, f, "inst:1"); got != want {
			t.Errorf("inspect %s = %s, want %s", f, got, want)
		}
	}
	if r := d.Tug("run", "--rm", "inst:1"); r.Stdout != "hello world 1.0 given\n" {
		t.Errorf("run: %s", r)
	}
	run := func(script string) string {
		t.Helper()
		r := d.Tug("run", "--rm", "--user", "0", "--entrypoint", "/bin/sh", "inst:1", "-c", script)
		if r.ExitCode != 0 {
			t.Fatalf("run %q: %s", script, r)
		}
		return r.Stdout
	}
	for script, want := range map[string]string{
		"cat /exec.txt": "exec-form\n",
		"cat /copied/one.txt /copied/sub/two.txt":  "one\ntwo\n",
		"stat -c '%u:%g %a' /owned.txt":            "1234:5678 600\n",
		"ls /srv/app/sub/globbed":                  "first.txt\nfourth.txt\n",
		"cat /unpacked/x/in-tar":                   "tar",
		"cat /remote/remote.txt":                   "remote content",
		"stat -c %a /remote/remote.txt":            "600\n",
		"test -d /srv/app/sub && echo dir":         "dir\n",
		"test -e /tmp/onbuild.txt || echo not-yet": "not-yet\n",
		"stat -c '%u:%g' /copied/one.txt":          "0:0\n",
	} {
		if got := run(script); got != want {
			t.Errorf("run %q = %q, want %q", script, got, want)
		}
	}
	history := d.Tug("history", "--no-trunc", "--format", "{{.CreatedBy}}", "inst:1")
	for _, want := range []string{
		"/bin/sh -c #(nop)  ENV APP_HOME=/srv/app GREETING=hello world",
		"|2 OTHER=given VERSION=1.0 /bin/sh -c echo \"$GREETING $VERSION $OTHER\" > built.txt",
		"/bin/sh -c #(nop) WORKDIR /srv/app",
	} {
		if history.ExitCode == 0 && !strings.Contains(history.Stdout, want) {
			t.Errorf("history lacks %q:\n%s", want, history.Stdout)
		}
	}

	// ONBUILD triggers run in the child build.
	child := writeContext(t, map[string]string{"Dockerfile": "FROM inst:1\nUSER 0\n"})
	r = build(t, d, "-t", "child:1", child)
	if !strings.Contains(r.Stdout, "# Executing 1 build trigger") {
		t.Errorf("onbuild output: %s", r.Stdout)
	}
	if got := d.Tug("run", "--rm", "--entrypoint", "cat", "child:1", "/tmp/onbuild.txt"); got.Stdout != "triggered\n" {
		t.Errorf("onbuild trigger result: %s", got)
	}
	if got := inspect(t, d, "{{json .Config.OnBuild}}", "child:1"); got != "null" && got != "[]" {
		t.Errorf("child OnBuild = %s, want none", got)
	}
	checkNoContainers(t, d)
}

func TestScratchAndHeredoc(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN <<EOF\necho line1 > /h.txt\necho line2 >> /h.txt\nEOF\nFROM scratch\nCOPY --from=0 /bin/busybox /bin/busybox\nCOPY --from=0 /h.txt /\nWORKDIR /w\nENTRYPOINT [\"/bin/busybox\"]\nCMD [\"cat\", \"/h.txt\"]\n",
	})
	build(t, d, "-t", "scr:1", dir)
	if r := d.Tug("run", "--rm", "scr:1"); r.Stdout != "line1\nline2\n" {
		t.Errorf("run: %s", r)
	}
	if got := inspect(t, d, "{{len .RootFS.Layers}}", "scr:1"); got != "3" {
		t.Errorf("layers = %s, want 3 (two COPYs, WORKDIR)", got)
	}
	checkNoContainers(t, d)
}
