package monitor

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOOMKilledReadsCgroupCounter(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		want          bool
	}{
		{"memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\noom_group_kill 0\n", true},
		{"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n", true},
		{"none", "low 0\n", false}, {"zero", "oom_kill 0\n", false},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, tt.name)
		if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := oomKilled(p); got != tt.want {
			t.Errorf("oomKilled(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
	if oomKilled(filepath.Join(dir, "missing")) || oomKilled("") {
		t.Error("oomKilled() = true without a counter")
	}
}
