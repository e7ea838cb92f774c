package container

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/tug-project/tug/internal/testutil"
)

// Create with a body that is not a container config answers 400 with a
// message and creates nothing; the JSON goes straight to the socket, as
// the moby client sends only well-formed bodies.
func TestCreateRefusesMalformedBody(t *testing.T) {
	d := testutil.StartDaemon(t)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(_ context.Context, _, _ string) (net.Conn, error) {
		return net.Dial("unix", d.Socket)
	}}}
	for _, body := range []string{"{not json", `{"Image": 5}`, ""} {
		resp, err := hc.Post("http://tug/v1.51/containers/create", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var msg struct{ Message string }
		_ = json.NewDecoder(resp.Body).Decode(&msg)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || msg.Message == "" {
			t.Errorf("create with body %q = %d %q, want 400 with a message", body, resp.StatusCode, msg.Message)
		}
	}
	if r := d.Tug("ps", "-aq"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("bad bodies created containers: %q", r.Stdout)
	}
}
