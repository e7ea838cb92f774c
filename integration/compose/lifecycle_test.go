package compose

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// bootCount is how many starts db has recorded in its volume.
func (s *stack) bootCount() int {
	s.t.Helper()
	out := s.ok("exec", "-T", "db", "cat", "/data/boot.log")
	return strings.Count(out, "boot ")
}

// TestStopStartAndRestartKeepTheVolume: stop stops every container (the
// servers exit on SIGTERM through init), start brings them back in
// dependency order, restart restarts one service; db's named volume keeps
// what it wrote across all of it.
func TestStopStartAndRestartKeepTheVolume(t *testing.T) {
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			s := startStack(t, cli)
			s.up()
			p := s.project
			if n := s.bootCount(); n != 1 {
				t.Fatalf("boots after up = %d, want 1", n)
			}
			start := time.Now()
			out := s.ok("stop")
			hasLines(t, "stop", out, "Container "+p+"-web-1 Stopped", "Container "+p+"-worker-1 Stopped", "Container "+p+"-db-1 Stopped")
			if d := time.Since(start); d > 8*time.Second {
				t.Errorf("stop took %v: SIGTERM did not stop the servers", d)
			}
			for _, c := range s.containers() {
				if c.State != "exited" {
					t.Errorf("%s is %s after stop", c.Name, c.State)
				}
			}
			out = s.ok("start")
			hasLines(t, "start", out, "Container "+p+"-db-1 Healthy", "Container "+p+"-web-1 Started", "Container "+p+"-worker-1 Started")
			s.waitHealthy()
			if n := s.bootCount(); n != 2 {
				t.Errorf("boots after stop+start = %d, want 2", n)
			}
			out = s.ok("restart", "db")
			hasLines(t, "restart", out, "Container "+p+"-db-1 Started")
			s.waitHealthy()
			if n := s.bootCount(); n != 3 {
				t.Errorf("boots after restart = %d, want 3", n)
			}
			get(t, s.webURL(1)+"/")
		})
	}
}

// TestLogsTopAndRunRm: logs prefixes each service's lines, logs -f follows
// new ones, top lists each service's processes, run --rm runs a one-off
// container on the stack's network and removes it.
func TestLogsTopAndRunRm(t *testing.T) {
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			s := startStack(t, cli)
			s.up()
			logs := strings.Join(strings.Fields(s.ok("logs", "--no-color", "db", "worker")), " ")
			for _, want := range []string{"db-1 | db: 1 boot(s) recorded", "worker-1 | worker: db has 1 boot(s)"} {
				if !strings.Contains(logs, want) {
					t.Errorf("logs lacks %q:\n%s", want, logs)
				}
			}

			// logs -f: a request to web shows up as a new line (httpd -v logs
			// the status of each response; the health checks' are 200s).
			cmd := s.cmd("logs", "-f", "--no-color", "--no-log-prefix", "web")
			pipe, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			seen := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(pipe)
				for sc.Scan() {
					seen <- sc.Text()
				}
				close(seen)
			}()
			url := s.webURL(1)
			resp, err := http.Get(url + "/nosuch")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			deadline := time.After(10 * time.Second)
		follow:
			for {
				select {
				case l, ok := <-seen:
					if !ok {
						t.Fatal("logs -f ended")
					}
					if strings.Contains(l, "response:404") {
						break follow
					}
				case <-deadline:
					t.Fatal("logs -f did not show the request")
				}
			}

			top := s.ok("top")
			for _, want := range []string{"httpd -f -v -p 8080 -h /www", "httpd -f -v -p 5432 -h /data", "/sbin/docker-init --"} {
				if !strings.Contains(top, want) {
					t.Errorf("top lacks %q:\n%s", want, top)
				}
			}

			out := s.ok("run", "--rm", "-T", "worker", "sh", "-c", "wget -q -O - http://db:5432/boot.log && echo one-off done")
			if !strings.Contains(out, "boot ") || !strings.Contains(out, "one-off done") {
				t.Errorf("run --rm worker:\n%s", out)
			}
			for _, c := range s.containers() {
				if strings.Contains(c.Name, "-run-") {
					t.Errorf("run --rm left %s", c.Name)
				}
			}
		})
	}
}

// TestScaleGivesEachReplicaItsOwnPort: up --scale web=3 adds two replicas,
// each published on its own loopback port and serving.
func TestScaleGivesEachReplicaItsOwnPort(t *testing.T) {
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			s := startStack(t, cli)
			s.up()
			out := s.up("--scale", "web=3")
			hasLines(t, "up --scale", out, fmt.Sprintf("Container %s-web-2 Started", s.project), fmt.Sprintf("Container %s-web-3 Started", s.project))
			ports := map[string]bool{}
			for n := 1; n <= 3; n++ {
				url := s.webURL(n)
				ports[url] = true
				if got := get(t, url+"/"); got != "<h1>stack web</h1>\n" {
					t.Errorf("replica %d: GET / = %q", n, got)
				}
			}
			if len(ports) != 3 {
				t.Errorf("replicas' ports: %v, want 3 different", ports)
			}
			testutil.Eventually(t, 10*time.Second, func() bool {
				return strings.Count(s.ok("ps", "web"), "(healthy)") == 3
			})
			s.ok("up", "-d", "--scale", "web=1")
			if n := strings.Count(s.ok("ps", "-q", "web"), "\n"); n != 1 {
				t.Errorf("web replicas after scaling back to 1: %d", n)
			}
		})
	}
}
