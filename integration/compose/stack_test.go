package compose

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/testutil"
)

// TestUpBuildsAndStartsTheStack: `compose up -d --build` builds web and db
// from their Dockerfiles, creates the networks and the volume, starts db,
// waits for its health check, then starts web and worker, printing what
// Compose prints against Docker.
func TestUpBuildsAndStartsTheStack(t *testing.T) {
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			s := startStack(t, cli)
			out := s.up()
			p := s.project
			hasLines(t, "up", out,
				"Image "+s.reg.Host+"/stack-web:latest Built",
				"Image "+s.reg.Host+"/stack-db:latest Built",
				"Network "+p+"_front Created", "Network "+p+"_back Created",
				"Volume "+p+"_dbdata Created",
				"Container "+p+"-db-1 Created", "Container "+p+"-db-1 Started",
				"Container "+p+"-db-1 Waiting", "Container "+p+"-db-1 Healthy",
				"Container "+p+"-web-1 Started", "Container "+p+"-worker-1 Started")
			if !strings.Contains(out, "Successfully built") {
				t.Errorf("up --build shows no classic build output:\n%s", out)
			}

			ps := s.ok("ps")
			lines := strings.Split(strings.TrimSpace(ps), "\n")
			if len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS" {
				t.Fatalf("compose ps:\n%s", ps)
			}
			for _, want := range []string{
				p + "-db-1 " + s.reg.Host + `/stack-db:latest "sh /start.sh" db`,
				p + "-web-1 " + s.reg.Host + `/stack-web:latest "httpd -f -v -p 8080…" web`,
				p + "-worker-1 " + s.reg.Host + `/busybox:latest "sh -c 'echo \"worker…" worker`,
			} {
				if !strings.Contains(strings.Join(strings.Fields(ps), " "), want) {
					t.Errorf("compose ps lacks %q:\n%s", want, ps)
				}
			}
			if !strings.Contains(ps, "(healthy)") || !strings.Contains(ps, "->8080/tcp") || !strings.Contains(ps, "5432/tcp") {
				t.Errorf("compose ps lacks health or ports:\n%s", ps)
			}
		})
	}
}

// TestStackServesThroughItsPublishedPort: web answers on the host port
// Compose published on 127.0.0.1, with the config file Compose mounted.
func TestStackServesThroughItsPublishedPort(t *testing.T) {
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			s := startStack(t, cli)
			s.up()
			url := s.webURL(1)
			if got := get(t, url+"/"); got != "<h1>stack web</h1>\n" {
				t.Errorf("GET / = %q", got)
			}
			site, _ := os.ReadFile(filepath.Join(repoDir(), "examples", "stack", "web", "site.txt"))
			if got := get(t, url+"/site.txt"); got != string(site) {
				t.Errorf("GET /site.txt (the compose config) = %q, want %q", got, site)
			}
		})
	}
}

// TestServicesGetEnvSecretsConfigsAndFindEachOtherByName: env_file and
// environment reach web; the file-based secret is at /run/secrets, the
// config at its target, both read-only; web and worker reach db by its
// service name on the back network, and db is not on front.
func TestServicesGetEnvSecretsConfigsAndFindEachOtherByName(t *testing.T) {
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			s := startStack(t, cli)
			s.up()
			got := s.ok("exec", "-T", "web", "sh", "-c", `echo "$GREETING|$LOG_LEVEL|$DB_URL"; cat /run/secrets/api_key /www/site.txt`)
			want := "hello from the stack|info|http://db:5432\ns3cr3t-api-key\nsite config: served from a compose config\n"
			if got != want {
				t.Errorf("web's env, secret and config:\n%q\nwant\n%q", got, want)
			}
			if r := s.compose("exec", "-T", "web", "sh", "-c", "echo x >/run/secrets/api_key"); r.ExitCode == 0 {
				t.Errorf("the secret is writable: %s", r)
			}
			if got := s.ok("exec", "-T", "web", "wget", "-q", "-O", "-", "http://db:5432/boot.log"); !strings.HasPrefix(got, "boot ") {
				t.Errorf("web fetching http://db:5432/boot.log = %q", got)
			}
			testutil.Eventually(t, 20*time.Second, func() bool {
				return strings.Contains(s.ok("logs", "worker"), "worker: db reachable as db")
			})
			var db struct {
				NetworkSettings struct {
					Networks map[string]struct{ Aliases []string }
				}
			}
			s.inspect(s.name("db", 1), &db)
			if _, ok := db.NetworkSettings.Networks[s.project+"_back"]; !ok || len(db.NetworkSettings.Networks) != 1 {
				t.Errorf("db's networks = %v, want only %s_back", db.NetworkSettings.Networks, s.project)
			}
		})
	}
}

// TestDeployLimitsAndRestartPoliciesReachTheContainers: deploy.resources.limits
// become the container's cgroup limits, restart: its restart policy.
func TestDeployLimitsAndRestartPoliciesReachTheContainers(t *testing.T) {
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			s := startStack(t, cli)
			s.up()
			var web struct {
				ID         string
				HostConfig struct {
					NanoCpus, Memory int64
					PidsLimit        *int64
					Init             *bool
					RestartPolicy    struct {
						Name              string
						MaximumRetryCount int
					}
				}
			}
			s.inspect(s.name("web", 1), &web)
			h := web.HostConfig
			if h.NanoCpus != 500_000_000 || h.Memory != 64<<20 || h.PidsLimit == nil || *h.PidsLimit != 64 || h.Init == nil || !*h.Init {
				t.Errorf("web HostConfig: NanoCpus %d, Memory %d, PidsLimit %v, Init %v", h.NanoCpus, h.Memory, h.PidsLimit, h.Init)
			}
			for file, want := range map[string]string{
				"memory/tug/" + web.ID + "/memory.limit_in_bytes": "67108864",
				"cpu/tug/" + web.ID + "/cpu.cfs_quota_us":         "50000",
				"pids/tug/" + web.ID + "/pids.max":                "64",
			} {
				b, err := os.ReadFile("/sys/fs/cgroup/" + file)
				if err != nil {
					t.Errorf("web's cgroup: %v", err)
				} else if strings.TrimSpace(string(b)) != want {
					t.Errorf("%s = %q, want %s", file, strings.TrimSpace(string(b)), want)
				}
			}
			for svc, want := range map[string]string{"web": "unless-stopped 0", "db": "always 0", "worker": "on-failure 3"} {
				r := s.Tug("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", s.name(svc, 1))
				if got := strings.TrimSpace(r.Stdout); got != want {
					t.Errorf("%s restart policy = %q, want %q", svc, got, want)
				}
			}
		})
	}
}
