package daemon

import (
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"

	"github.com/google/go-cmp/cmp"
)

func TestValidateHostConfigLogOpts(t *testing.T) {
	defaults := map[string]string{"max-size": "10m", "max-file": "3"}
	tests := []struct {
		name     string
		lc       apicontainer.LogConfig
		defaults map[string]string
		want     apicontainer.LogConfig
		wantErr  string
	}{
		{"no defaults", apicontainer.LogConfig{}, nil, apicontainer.LogConfig{Type: "json-file", Config: map[string]string{}}, ""},
		{"daemon defaults fill in", apicontainer.LogConfig{}, defaults,
			apicontainer.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m", "max-file": "3"}}, ""},
		{"container options win", apicontainer.LogConfig{Config: map[string]string{"max-size": "1k"}}, defaults,
			apicontainer.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1k", "max-file": "3"}}, ""},
		{"unknown option", apicontainer.LogConfig{Type: "json-file", Config: map[string]string{"x": "1"}}, nil,
			apicontainer.LogConfig{}, "unknown log opt 'x' for json-file log driver"},
		{"max-file alone, as Docker accepts it", apicontainer.LogConfig{Config: map[string]string{"max-file": "2"}}, nil,
			apicontainer.LogConfig{Type: "json-file", Config: map[string]string{"max-file": "2"}}, ""},
		{"an attribute option tug's records do not carry", apicontainer.LogConfig{Config: map[string]string{"tag": "x"}}, nil,
			apicontainer.LogConfig{}, "log opt 'tag' is not supported by tug's json-file log driver: its records carry no attributes"},
		{"other driver", apicontainer.LogConfig{Type: "syslog"}, nil,
			apicontainer.LogConfig{}, "logger: no log driver named 'syslog' is registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := &apicontainer.HostConfig{LogConfig: tt.lc}
			err := validateHostConfig(hc, tt.defaults)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("validateHostConfig() = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("validateHostConfig() = %v", err)
			}
			if diff := cmp.Diff(tt.want, hc.LogConfig); diff != "" {
				t.Errorf("LogConfig (-want +got):\n%s", diff)
			}
		})
	}
}
