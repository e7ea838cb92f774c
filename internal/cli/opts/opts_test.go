package opts

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
)

func TestParseKeyValue(t *testing.T) {
	lookup := func(k string) (string, bool) {
		if k == "HOMEISH" {
			return "/root", true
		}
		return "", false
	}
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "basic", in: "A=1\nB=two words\n", want: []string{"A=1", "B=two words"}},
		{name: "comments and blanks", in: "# c\n\n   \nA=1\n  # indented comment\n", want: []string{"A=1"}},
		{name: "leading space trimmed, value kept", in: "  A= x \n", want: []string{"A= x "}},
		{name: "bom", in: "\xEF\xBB\xBFA=1\n", want: []string{"A=1"}},
		{name: "bare key from env", in: "HOMEISH\n", want: []string{"HOMEISH=/root"}},
		{name: "bare key unset dropped", in: "NOPE\nA=1\n", want: []string{"A=1"}},
		{name: "empty value", in: "A=\n", want: []string{"A="}},
		{name: "equals in value", in: "A=b=c\n", want: []string{"A=b=c"}},
		{name: "space in key", in: "A B=1\n", wantErr: "invalid env file (f): variable 'A B' contains whitespaces"},
		{name: "no key", in: "=1\n", wantErr: "invalid env file (f): no variable name on line '=1'"},
		{name: "bad utf8", in: "A=\xff\n", wantErr: "invalid env file (f): invalid utf8 bytes at line 1: [65 61 255]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseKeyValue("f", []byte(tt.in), lookup)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("parseKeyValue() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseKeyValue() = %v, want nil", err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Fatalf("parseKeyValue() mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadEnv(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "env")
	if err := os.WriteFile(f, []byte("A=1\nFROMENV\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) {
		if k == "FROMENV" || k == "X" {
			return "v", true
		}
		return "", false
	}
	got, err := ReadEnv([]string{f}, []string{"B=2", "X", "UNSET"}, lookup)
	if err != nil {
		t.Fatalf("ReadEnv() = %v", err)
	}
	want := []string{"A=1", "FROMENV=v", "B=2", "X=v"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("ReadEnv() mismatch (-want +got):\n%s", d)
	}
	if _, err := ReadEnv([]string{filepath.Join(dir, "missing")}, nil, lookup); err == nil {
		t.Fatalf("ReadEnv(missing file) = nil, want error")
	}
	if _, err := ReadEnv(nil, []string{"=x"}, lookup); err == nil {
		t.Fatalf("ReadEnv(=x) = nil, want error")
	}
}

func TestReadLabels(t *testing.T) {
	got, err := ReadLabels(nil, []string{"a=1", "b", "c=x=y"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "1", "b": "", "c": "x=y"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("ReadLabels() mismatch (-want +got):\n%s", d)
	}
}

func TestTimestamp(t *testing.T) {
	ref := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "10m", want: "1704164045"},
		{in: "1h30m", want: "1704159245"},
		{in: "0", want: "0"},
		{in: "1704164645", want: "1704164645"},
		{in: "1704164645.5", want: "1704164645.5"},
		{in: "2024-01-02", want: "1704153600.000000000"},
		{in: "2024-01-02T03:04:05Z", want: "1704164645.000000000"},
		{in: "2024-01-02T03:04:05", want: "1704164645.000000000"},
		{in: "2024-01-02T03:04", want: "1704164640.000000000"},
		{in: "2024-01-02T03", want: "1704164400.000000000"},
		{in: "2024-01-02T03:04:05+01:00", want: "1704161045.000000000"},
		{in: "2024-01-02T03:04:05.123456789Z", want: "1704164645.123456789"},
		{in: "2024-01-02Z", want: "1704153600.000000000"},
		{in: "bogus", wantErr: true},
		{in: "2024-13-45", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Timestamp(tt.in, ref)
		if tt.wantErr {
			if err == nil {
				t.Errorf("Timestamp(%q) = %q, want error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Timestamp(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestFiltersAndRestart(t *testing.T) {
	f, err := Filters([]string{"status=exited", "name=a", "name=b"})
	if err != nil {
		t.Fatal(err)
	}
	if !f["status"]["exited"] || !f["name"]["a"] || !f["name"]["b"] {
		t.Fatalf("Filters() = %v", f)
	}
	if _, err := Filters([]string{"bad"}); err == nil {
		t.Fatalf("Filters(bad) = nil, want error")
	}
	tests := []struct {
		in   string
		want container.RestartPolicy
		err  bool
	}{
		{in: "no", want: container.RestartPolicy{Name: "no"}},
		{in: "always", want: container.RestartPolicy{Name: "always"}},
		{in: "on-failure:3", want: container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}},
		{in: "on-failure:x", err: true},
		{in: ":3", err: true},
	}
	for _, tt := range tests {
		got, err := RestartPolicy(tt.in)
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("RestartPolicy(%q) = %v, %v, want %v (err %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}
