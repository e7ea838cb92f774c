package conformance

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestNetworkCreateCheckDuplicateIsAlwaysOn: CheckDuplicate, which API <=
// 1.43 clients send in a network create, is accepted with either value and
// a duplicate name is refused (409) whatever it says, as moby does for
// every API version since 1.44; the other fields of the request still
// take effect.
func TestNetworkCreateCheckDuplicateIsAlwaysOn(t *testing.T) {
	d := startDaemon(t)
	hc := unixClient(d.Socket)
	post := func(body string) (int, string) {
		t.Helper()
		resp, err := hc.Post("http://tug/v1.41/networks/create", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(`{"Name":"dupnet","CheckDuplicate":true,"Labels":{"k":"v"}}`); code != http.StatusCreated {
		t.Fatalf("create with CheckDuplicate=true: %d %s", code, body)
	}
	t.Cleanup(func() { d.Tug("network", "rm", "dupnet") })
	if r := d.Tug("network", "inspect", "-f", "{{.Labels.k}}", "dupnet"); strings.TrimSpace(r.Stdout) != "v" {
		t.Errorf("labels of a network made with CheckDuplicate: %s", r)
	}
	for _, cd := range []string{"true", "false"} {
		code, body := post(`{"Name":"dupnet","CheckDuplicate":` + cd + `}`)
		if code != http.StatusConflict || !strings.Contains(body, "network with name dupnet already exists") {
			t.Errorf("duplicate create with CheckDuplicate=%s: %d %s, want 409 already exists", cd, code, body)
		}
	}
	if code, body := post(`{"Name":"dupnet2","CheckDuplicate":false}`); code != http.StatusCreated {
		t.Errorf("create of a new name with CheckDuplicate=false: %d %s", code, body)
	}
	d.Tug("network", "rm", "dupnet2")
	// The docker CLI (API 1.41) sends CheckDuplicate=true.
	if r := d.Docker("network", "create", "dupnet"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "already exists") {
		t.Errorf("docker network create of a duplicate: %s", r)
	}
}
