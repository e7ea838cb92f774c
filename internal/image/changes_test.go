package image

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

func TestApplyChanges(t *testing.T) {
	tests := []struct {
		name    string
		changes []string
		want    func(c *dockerspec.DockerOCIImageConfig)
		wantErr string
	}{
		{"cmd exec", []string{`CMD ["/hello", "a b"]`}, func(c *dockerspec.DockerOCIImageConfig) { c.Cmd = []string{"/hello", "a b"} }, ""},
		{"cmd shell", []string{`cmd echo hi`}, func(c *dockerspec.DockerOCIImageConfig) { c.Cmd = []string{"/bin/sh", "-c", "echo hi"} }, ""},
		{"entrypoint", []string{`ENTRYPOINT ["/bin/sh"]`}, func(c *dockerspec.DockerOCIImageConfig) { c.Entrypoint = []string{"/bin/sh"} }, ""},
		{"env", []string{`ENV A=1 B="two words"`, `ENV C 3 4`, `ENV A=x`}, func(c *dockerspec.DockerOCIImageConfig) {
			c.Env = []string{"A=x", "B=two words", "C=3 4"}
		}, ""},
		{"label", []string{`LABEL a=b "c d"=e`}, func(c *dockerspec.DockerOCIImageConfig) { c.Labels = map[string]string{"a": "b", "c d": "e"} }, ""},
		{"expose", []string{`EXPOSE 80 53/udp`}, func(c *dockerspec.DockerOCIImageConfig) {
			c.ExposedPorts = map[string]struct{}{"80/tcp": {}, "53/udp": {}}
		}, ""},
		{"volume", []string{`VOLUME ["/data"]`, `VOLUME /a /b`}, func(c *dockerspec.DockerOCIImageConfig) {
			c.Volumes = map[string]struct{}{"/data": {}, "/a": {}, "/b": {}}
		}, ""},
		{"workdir", []string{`WORKDIR /app`, `WORKDIR sub`}, func(c *dockerspec.DockerOCIImageConfig) { c.WorkingDir = "/app/sub" }, ""},
		{"user stopsignal", []string{`USER 1000:1000`, `STOPSIGNAL SIGINT`}, func(c *dockerspec.DockerOCIImageConfig) {
			c.User, c.StopSignal = "1000:1000", "SIGINT"
		}, ""},
		{"invalid", []string{`RUN echo`}, nil, "run is not a valid change command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got dockerspec.DockerOCIImageConfig
			err := ApplyChanges(&got, tt.changes)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ApplyChanges() = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ApplyChanges() = %v", err)
			}
			var want dockerspec.DockerOCIImageConfig
			tt.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("ApplyChanges() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
