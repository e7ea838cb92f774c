package compose

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestConfigPushAndPullThroughALoopbackRegistry: config prints the
// resolved model (limits, secrets, build args); push sends the built
// images to the registry; after they are removed here, pull brings every
// service's image back and up runs without building.
func TestConfigPushAndPullThroughALoopbackRegistry(t *testing.T) {
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			s := startStack(t, cli)
			cfg := s.ok("config")
			for _, want := range []string{
				"name: " + s.project,
				"image: " + s.reg.Host + "/stack-web:latest",
				"BASE_IMAGE: " + s.reg.Host + "/busybox:latest",
				"cpus: 0.5", `memory: "67108864"`, "pids: 64",
				"target: /run/secrets/api_key", "target: /www/site.txt",
				"condition: service_healthy",
				"GREETING: hello from the stack",
				"restart: on-failure:3",
			} {
				if !strings.Contains(cfg, want) {
					t.Errorf("config lacks %q:\n%s", want, cfg)
				}
			}

			s.ok("build")
			out := s.ok("push")
			hasLines(t, "push", out, s.reg.Host+"/stack-web:latest Pushed", s.reg.Host+"/stack-db:latest Pushed")
			for _, repo := range []string{"stack-web", "stack-db"} {
				var tags struct{ Tags []string }
				if err := json.Unmarshal([]byte(get(t, "http://"+s.reg.Host+"/v2/"+repo+"/tags/list")), &tags); err != nil || len(tags.Tags) != 1 || tags.Tags[0] != "latest" {
					t.Errorf("registry's %s tags = %v (%v), want [latest]", repo, tags.Tags, err)
				}
			}

			images := []string{s.reg.Host + "/stack-web:latest", s.reg.Host + "/stack-db:latest", s.reg.Host + "/busybox:latest"}
			if r := s.Tug(append([]string{"rmi"}, images...)...); r.ExitCode != 0 {
				t.Fatalf("tug rmi: %s", r)
			}
			out = s.ok("pull")
			hasLines(t, "pull", out, "Image "+images[0]+" Pulled", "Image "+images[1]+" Pulled", "Image "+images[2]+" Pulled")
			out = s.ok("up", "-d")
			if strings.Contains(out, "Built") {
				t.Errorf("up after pull built again:\n%s", out)
			}
			s.waitHealthy()
			get(t, s.webURL(1)+"/")
		})
	}
}
