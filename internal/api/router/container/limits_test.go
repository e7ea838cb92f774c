package container

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
)

func TestStatsParameters(t *testing.T) {
	_, sock := start(t, &fakeBackend{})
	hc := rawClient(sock)
	resp, err := hc.Get("http://d/containers/web/stats?stream=true&one-shot=true")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("stream and one-shot: status %d, want 400", resp.StatusCode)
	}
	resp, err = hc.Get("http://d/containers/web/stats?stream=false")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || s.Name != "/web" {
		t.Errorf("stats = %+v, %v", s, err)
	}
}

// KernelMemory, gone from moby's types, is not dropped silently: the
// answer carries Docker's warnings.
func TestKernelMemoryWarned(t *testing.T) {
	_, sock := start(t, &fakeBackend{})
	hc := rawClient(sock)
	for _, tc := range []struct{ path, body string }{
		{"/containers/create", `{"Image":"busybox","HostConfig":{"KernelMemory":10485760}}`},
		{"/containers/web/update", `{"KernelMemory":10485760}`},
	} {
		resp, err := hc.Post("http://d"+tc.path, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 || !strings.Contains(string(b), "Specifying a kernel memory limit is deprecated") {
			t.Errorf("%s: %d %s, want a kernel memory warning", tc.path, resp.StatusCode, b)
		}
	}
}
