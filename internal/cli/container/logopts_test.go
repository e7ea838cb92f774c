package container

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
)

func TestLogConfig(t *testing.T) {
	tests := []struct {
		driver  string
		opts    []string
		want    container.LogConfig
		wantErr bool
	}{
		{"", nil, container.LogConfig{}, false},
		{"json-file", nil, container.LogConfig{Type: "json-file"}, false},
		{"", []string{"max-size=10m", "max-file=3"}, container.LogConfig{Config: map[string]string{"max-size": "10m", "max-file": "3"}}, false},
		{"", []string{"tag"}, container.LogConfig{Config: map[string]string{"tag": ""}}, false},
		{"none", []string{"max-size=1k"}, container.LogConfig{}, true},
	}
	for _, tt := range tests {
		got, err := logConfig(tt.driver, tt.opts)
		if tt.wantErr {
			if err == nil {
				t.Errorf("logConfig(%q, %v) = %v, want an error", tt.driver, tt.opts, got)
			}
			continue
		}
		if err != nil {
			t.Fatalf("logConfig(%q, %v) = %v", tt.driver, tt.opts, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("logConfig(%q, %v) (-want +got):\n%s", tt.driver, tt.opts, diff)
		}
	}
}
