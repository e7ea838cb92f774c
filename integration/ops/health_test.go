package ops

import (
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// A probe failing within the start period keeps the container starting;
// after it, retries failures make it unhealthy; a passing probe makes it
// healthy. ps shows it, ps --filter health= selects it, events announce it.
func TestHealthTransitions(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	since := time.Now().Add(-time.Second).Format(time.RFC3339Nano)
	must(t, d, "run", "-d", "--name", "hc", "--health-cmd", "test -f /tmp/ok", "--health-interval", "200ms",
		"--health-start-interval", "100ms", "--health-retries", "2", "--health-start-period", "1500ms", "busybox", "sleep", "1000")
	if s := inspect(d, "{{.State.Health.Status}}", "hc"); s != "starting" {
		t.Fatalf("status at start = %q, want starting", s)
	}
	if ps := must(t, d, "ps", "--format", "{{.Status}}", "--filter", "name=hc"); !strings.HasSuffix(ps, "(health: starting)") {
		t.Errorf("ps status = %q, want (health: starting)", ps)
	}
	// Failures within the start period do not count.
	testutil.Eventually(t, 10*time.Second, func() bool { return inspect(d, "{{len .State.Health.Log}}", "hc") >= "2" })
	if s := inspect(d, "{{.State.Health.Status}} {{.State.Health.FailingStreak}}", "hc"); s != "starting 0" && time.Since(mustTime(t, inspect(d, "{{.State.StartedAt}}", "hc"))) < 1500*time.Millisecond {
		t.Errorf("within the start period: %q, want starting 0", s)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return inspect(d, "{{.State.Health.Status}}", "hc") == "unhealthy" })
	if ps := must(t, d, "ps", "--filter", "health=unhealthy", "--format", "{{.Names}} {{.Status}}"); !strings.HasPrefix(ps, "hc Up") || !strings.HasSuffix(ps, "(unhealthy)") {
		t.Errorf("ps --filter health=unhealthy = %q", ps)
	}
	must(t, d, "exec", "hc", "touch", "/tmp/ok")
	testutil.Eventually(t, 10*time.Second, func() bool { return inspect(d, "{{.State.Health.Status}}", "hc") == "healthy" })
	if ps := must(t, d, "ps", "--filter", "health=healthy", "--format", "{{.Names}}"); ps != "hc" {
		t.Errorf("ps --filter health=healthy = %q, want hc", ps)
	}
	if ps := d.Docker("ps", "--filter", "health=unhealthy", "-q").Stdout; strings.TrimSpace(ps) != "" {
		t.Errorf("docker ps --filter health=unhealthy = %q, want nothing", ps)
	}
	if n := inspect(d, "{{len .State.Health.Log}}", "hc"); n != "5" {
		t.Errorf("health log keeps %s results, want 5", n)
	}
	ev := must(t, d, "events", "--since", since, "--until", time.Now().Format(time.RFC3339Nano), "--filter", "event=health_status", "--format", "{{.Action}}")
	if !strings.Contains(ev, "health_status: unhealthy") || !strings.Contains(ev, "health_status: healthy") {
		t.Errorf("health_status events = %q", ev)
	}
	// Each probe is announced as an exec, as Docker does: created and
	// started with its command, and its end with the exit code.
	ev = must(t, d, "events", "--since", since, "--until", time.Now().Format(time.RFC3339Nano), "--filter", "container=hc",
		"--format", `{{.Action}} {{index .Actor.Attributes "exitCode"}}`)
	for _, want := range []string{"exec_create: /bin/sh -c test -f /tmp/ok", "exec_start: /bin/sh -c test -f /tmp/ok", "exec_die 1", "exec_die 0"} {
		if !strings.Contains(ev, want) {
			t.Errorf("events of hc lack %q:\n%s", want, ev)
		}
	}
	// The probe runs in the container, not as an exec the user sees.
	if ids := inspect(d, "{{len .ExecIDs}}", "hc"); ids != "0" {
		t.Errorf("ExecIDs has %s entries", ids)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return tm
}

// A probe that outlives its timeout counts as a failure with Docker's text.
func TestHealthProbeTimeout(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	must(t, d, "run", "-d", "--name", "slow", "--health-cmd", "sleep 10", "--health-interval", "100ms",
		"--health-timeout", "300ms", "--health-retries", "1", "busybox", "sleep", "1000")
	testutil.Eventually(t, 10*time.Second, func() bool { return inspect(d, "{{.State.Health.Status}}", "slow") == "unhealthy" })
	out := inspect(d, "{{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}", "slow")
	if out != "-1 Health check exceeded timeout (300ms)" {
		t.Errorf("timed-out probe = %q", out)
	}
	// The killed probes do not pile up in the container.
	testutil.Eventually(t, 10*time.Second, func() bool {
		return strings.Count(must(t, d, "top", "slow"), "sleep 10") <= 2
	})
}

// The image's HEALTHCHECK is run; --no-healthcheck disables it; probes
// carry on across a SIGKILL of tugd.
func TestHealthFromImageAndAcrossRestart(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	ctx := t.TempDir()
	writeFile(t, ctx+"/Dockerfile", "FROM busybox\nHEALTHCHECK --interval=200ms --retries=1 CMD true\n")
	must(t, d, "build", "-q", "-t", "hcimg", ctx)
	if hc := inspect(d, "{{json .Config.Healthcheck}}", "hcimg"); !strings.Contains(hc, `"CMD-SHELL","true"`) {
		t.Fatalf("image Healthcheck = %s", hc)
	}
	must(t, d, "run", "-d", "--name", "off", "--no-healthcheck", "hcimg", "sleep", "1000")
	must(t, d, "run", "-d", "--name", "img", "hcimg", "sleep", "1000")
	testutil.Eventually(t, 10*time.Second, func() bool { return inspect(d, "{{.State.Health.Status}}", "img") == "healthy" })
	if h := inspect(d, "{{.State.Health}}", "off"); h != "<nil>" {
		t.Errorf("--no-healthcheck: State.Health = %q", h)
	}
	d.Kill()
	killed := time.Now()
	d.Start()
	testutil.Eventually(t, 10*time.Second, func() bool {
		last := inspect(d, "{{(index .State.Health.Log 4).Start.UnixNano}}", "img")
		return last != "" && mustUnixNano(last).After(killed)
	})
	if s := inspect(d, "{{.State.Health.Status}}", "img"); s != "healthy" {
		t.Errorf("after restart: %q, want healthy", s)
	}
}
