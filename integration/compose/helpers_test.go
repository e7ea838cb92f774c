package compose

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

func TestMain(m *testing.M) {
	// up --build builds two images and waits for health checks.
	testutil.CommandTimeout = 2 * time.Minute
	os.Exit(m.Run())
}

// pluginDir is where scripts/build-compose.sh installs docker-compose by
// default, one of the docker CLI's system plugin directories.
const pluginDir = "/usr/local/lib/docker/cli-plugins"

var (
	pluginOnce sync.Once
	pluginErr  error
)

// repoDir is the module root.
func repoDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// requirePlugin builds and installs the Compose plugin unless the one
// installed has the pinned version (instant then; `make test` has done it).
func requirePlugin(t *testing.T) {
	t.Helper()
	pluginOnce.Do(func() {
		out, err := exec.Command("bash", filepath.Join(repoDir(), "scripts", "build-compose.sh"), pluginDir).CombinedOutput()
		if err != nil {
			pluginErr = fmt.Errorf("scripts/build-compose.sh: %v\n%s", err, out)
		}
	})
	if pluginErr != nil {
		t.Fatal(pluginErr)
	}
}

// stack is examples/stack as one Compose project on a test tugd, driven
// through one CLI ("tug" runs `tug compose`, "docker" runs `docker compose`
// with DOCKER_HOST at tugd).
type stack struct {
	*testutil.Daemon
	t       *testing.T
	cli     string
	project string
	reg     *testutil.Registry
	env     []string
	file    string // the compose file: examples/stack/compose.yaml
}

// clis are the two ways a user runs Compose against tugd.
var clis = []string{"tug", "docker"}

// startStack starts tugd and a loopback registry holding the base image
// (busybox, which the test pushes there), for project "stack" + cli.
func startStack(t *testing.T, cli string) *stack {
	t.Helper()
	requirePlugin(t)
	if cli == "docker" {
		if _, err := exec.LookPath("docker"); err != nil {
			t.Skip("docker CLI not installed")
		}
	}
	d := testutil.StartDaemon(t)
	reg := testutil.StartRegistry(t, "")
	base := reg.Host + "/busybox:latest"
	d.ImportBusybox(base)
	if r := d.Tug("push", base); r.ExitCode != 0 {
		t.Fatalf("tug push %s: %s", base, r)
	}
	s := &stack{Daemon: d, t: t, cli: cli, project: "stack" + cli, reg: reg,
		env:  []string{"BASE_IMAGE=" + base, "REGISTRY=" + reg.Host},
		file: filepath.Join(repoDir(), "examples", "stack", "compose.yaml")}
	// Compose's networks and volumes are not containers: StartDaemon's
	// cleanup does not remove them.
	t.Cleanup(func() { s.compose("down", "-v", "-t", "0") })
	return s
}

// cmd is `<cli> compose -f <file> -p <project> args...`.
func (s *stack) cmd(args ...string) *exec.Cmd {
	full := append([]string{"compose", "-f", s.file, "-p", s.project}, args...)
	var c *exec.Cmd
	if s.cli == "tug" {
		c = s.TugCmd(full...)
		c.Env = os.Environ()
	} else {
		c = s.DockerCmd(full...)
	}
	c.Env = append(c.Env, s.env...)
	return c
}

// compose runs Compose and returns what it printed.
func (s *stack) compose(args ...string) testutil.Result {
	s.t.Helper()
	c := s.cmd(args...)
	var out, errb strings.Builder
	c.Stdout, c.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := c.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() { done <- c.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(testutil.CommandTimeout):
		_ = c.Process.Kill()
		err = <-done
		s.t.Errorf("%s compose %s hung", s.cli, strings.Join(args, " "))
	}
	r := testutil.Result{Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.ExitCode = ee.ExitCode()
	}
	return r
}

// ok runs Compose and fails the test unless it exits 0; it returns stdout
// and stderr together (Compose reports progress on stderr).
func (s *stack) ok(args ...string) string {
	s.t.Helper()
	r := s.compose(args...)
	if r.ExitCode != 0 {
		s.t.Fatalf("%s compose %s: %s\ntugd log:\n%s", s.cli, strings.Join(args, " "), r, s.Log())
	}
	return r.Stdout + r.Stderr
}

// up brings the stack up (building its images) and waits until every
// service is running and the health-checked ones are healthy.
func (s *stack) up(args ...string) string {
	s.t.Helper()
	out := s.ok(append([]string{"up", "-d", "--build"}, args...)...)
	s.waitHealthy()
	return out
}

// waitHealthy waits until every container of the project runs, healthy
// where it has a health check.
func (s *stack) waitHealthy() {
	s.t.Helper()
	ok := testutil.WaitFor(30*time.Second, func() bool {
		cs := s.containers()
		if len(cs) == 0 {
			return false
		}
		for _, c := range cs {
			if c.State != "running" || c.Health != nil && c.Health.Status != "healthy" {
				return false
			}
		}
		return true
	})
	if !ok {
		var health strings.Builder
		for _, c := range s.containers() {
			r := s.Tug("inspect", "--format", "{{.Name}} {{json .State.Health}}", c.ID)
			health.WriteString(r.Stdout + r.Stderr)
		}
		s.t.Fatalf("stack not healthy:\n%s\nhealth:\n%s", s.ok("ps", "-a"), health.String())
	}
}

// containerInfo is a container of the project, from the API.
type containerInfo struct {
	ID, Name, Service, State string
	Health                   *struct{ Status string }
}

// containers lists the project's containers (all states).
func (s *stack) containers() []containerInfo {
	s.t.Helper()
	f := make(client.Filters).Add("label", "com.docker.compose.project="+s.project)
	res, err := s.Client.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		s.t.Fatal(err)
	}
	var out []containerInfo
	for _, c := range res.Items {
		ci := containerInfo{ID: c.ID, Name: strings.TrimPrefix(c.Names[0], "/"), Service: c.Labels["com.docker.compose.service"], State: string(c.State)}
		if c.Health != nil {
			ci.Health = &struct{ Status string }{string(c.Health.Status)}
		}
		out = append(out, ci)
	}
	return out
}

// inspect decodes `tug inspect` of a container into v.
func (s *stack) inspect(name string, v any) {
	s.t.Helper()
	r := s.Tug("inspect", name)
	if r.ExitCode != 0 {
		s.t.Fatalf("tug inspect %s: %s", name, r)
	}
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(r.Stdout), &list); err != nil || len(list) != 1 {
		s.t.Fatalf("tug inspect %s: %v\n%s", name, err, r.Stdout)
	}
	if err := json.Unmarshal(list[0], v); err != nil {
		s.t.Fatal(err)
	}
}

// name is the container name of a service's replica n.
func (s *stack) name(service string, n int) string {
	return fmt.Sprintf("%s-%s-%d", s.project, service, n)
}

// get fetches url (on 127.0.0.1) and returns the body, failing the test on
// an error or a status other than 200.
func get(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	return string(b)
}

// webURL is the address `compose port` gives for replica n of web.
func (s *stack) webURL(n int) string {
	s.t.Helper()
	addr := strings.TrimSpace(s.ok("port", "--index", fmt.Sprint(n), "web", "8080"))
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		s.t.Fatalf("compose port web 8080 = %q, want 127.0.0.1:PORT", addr)
	}
	return "http://" + addr
}

// lines reports whether out holds every want line (Compose's progress
// lines have a leading and a trailing space).
func hasLines(t *testing.T, what, out string, want ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		have[strings.TrimSpace(l)] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("%s lacks the line %q:\n%s", what, w, out)
		}
	}
}
