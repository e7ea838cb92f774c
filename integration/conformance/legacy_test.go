package conformance

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestOldAPICreateFieldsAreNotDropped: container-create fields of older
// API versions that moby's current types no longer have are handled or
// refused by name, never dropped at decode: Config.MacAddress (before
// 1.52) becomes the endpoint MAC address, which then takes effect or is
// refused as that field is; DiskQuota (up to 1.39) is refused.
func TestOldAPICreateFieldsAreNotDropped(t *testing.T) {
	d := startDaemon(t)
	hc := unixClient(d.Socket)
	post := func(version, body string) (int, string) {
		t.Helper()
		resp, err := hc.Post("http://tug/v"+version+"/containers/create?name=legacy", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	const mac = "02:42:ac:11:00:99"
	code, body := post("1.41", `{"Image":"busybox","Cmd":["true"],"MacAddress":"`+mac+`"}`)
	switch code {
	case http.StatusCreated:
		r := d.Tug("inspect", "--format", "{{.NetworkSettings.Networks.bridge.MacAddress}}", "legacy")
		if r.ExitCode != 0 {
			t.Fatal(r)
		}
		if r := d.Tug("start", "legacy"); r.ExitCode != 0 {
			t.Fatal(r)
		}
		if r := d.Tug("inspect", "--format", "{{.NetworkSettings.Networks.bridge.MacAddress}}", "legacy"); strings.TrimSpace(r.Stdout) != mac {
			t.Errorf("MAC address of the container made with Config.MacAddress at API 1.41 = %q, want %s", r.Stdout, mac)
		}
		d.Tug("rm", "-f", "legacy")
	case http.StatusBadRequest:
		if !strings.Contains(body, "MacAddress") {
			t.Errorf("create with Config.MacAddress at 1.41: 400 %s, want the refusal to name MacAddress", body)
		}
	default:
		t.Errorf("create with Config.MacAddress at 1.41: %d %s, want it applied or refused by name", code, body)
	}

	code, body = post("1.39", `{"Image":"busybox","Cmd":["true"],"HostConfig":{"DiskQuota":1048576}}`)
	var msg struct{ Message string }
	_ = json.Unmarshal([]byte(body), &msg)
	if code != http.StatusBadRequest || !strings.Contains(msg.Message, "HostConfig.DiskQuota") {
		t.Errorf("create with HostConfig.DiskQuota at 1.39: %d %s, want 400 naming it", code, body)
	}
	nothingCreated(t, d)
}
