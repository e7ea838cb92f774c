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
		driver   string // the daemon's log-driver; "" for json-file
		defaults map[string]string
		want     apicontainer.LogConfig
		wantErr  string
	}{
		{"no defaults", apicontainer.LogConfig{}, "", nil, apicontainer.LogConfig{Type: "json-file", Config: map[string]string{}}, ""},
		{"daemon defaults fill in", apicontainer.LogConfig{}, "", defaults,
			apicontainer.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m", "max-file": "3"}}, ""},
		{"container options win", apicontainer.LogConfig{Config: map[string]string{"max-size": "1k"}}, "", defaults,
			apicontainer.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1k", "max-file": "3"}}, ""},
		{"unknown option", apicontainer.LogConfig{Type: "json-file", Config: map[string]string{"x": "1"}}, "", nil,
			apicontainer.LogConfig{}, "unknown log opt 'x' for json-file log driver"},
		{"max-file alone, as Docker accepts it", apicontainer.LogConfig{Config: map[string]string{"max-file": "2"}}, "", nil,
			apicontainer.LogConfig{Type: "json-file", Config: map[string]string{"max-file": "2"}}, ""},
		{"an attribute option tug's records do not carry", apicontainer.LogConfig{Config: map[string]string{"tag": "x"}}, "", nil,
			apicontainer.LogConfig{}, "log opt 'tag' is not supported by tug's json-file log driver: its records carry no attributes"},
		{"other driver", apicontainer.LogConfig{Type: "syslog"}, "", nil,
			apicontainer.LogConfig{}, "logger: no log driver named 'syslog' is registered"},
		{"local is refused by name", apicontainer.LogConfig{Type: "local"}, "", nil,
			apicontainer.LogConfig{}, "logger: the local log driver is not supported by tug: use json-file (with max-size and max-file for rotation) or none"},
		{"none", apicontainer.LogConfig{Type: "none"}, "", defaults,
			apicontainer.LogConfig{Type: "none", Config: map[string]string{}}, ""},
		{"none takes no options", apicontainer.LogConfig{Type: "none", Config: map[string]string{"max-size": "1m"}}, "", nil,
			apicontainer.LogConfig{}, "log opt 'max-size': the none log driver keeps no log and takes no options"},
		{"the daemon's driver", apicontainer.LogConfig{}, "none", nil,
			apicontainer.LogConfig{Type: "none", Config: map[string]string{}}, ""},
		{"json-file on a none daemon gets no json-file defaults from elsewhere", apicontainer.LogConfig{Type: "json-file"}, "none", nil,
			apicontainer.LogConfig{Type: "json-file", Config: map[string]string{}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := &apicontainer.HostConfig{LogConfig: tt.lc}
			driver := tt.driver
			if driver == "" {
				driver = "json-file"
			}
			err := validateHostConfig(hc, driver, tt.defaults)
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
