package container

import "testing"

func TestCommandLineQuotesArgumentsWithSpaces(t *testing.T) {
	tests := []struct {
		path string
		args []string
		want string
	}{
		{"true", nil, "true"},
		{"httpd", []string{"-f", "-p", "8080"}, "httpd -f -p 8080"},
		{"sh", []string{"-c", "echo hi; sleep 5"}, "sh -c 'echo hi; sleep 5'"},
		{"sh", []string{"-c", ""}, "sh -c "},
	}
	for _, tt := range tests {
		if got := CommandLine(tt.path, tt.args); got != tt.want {
			t.Errorf("CommandLine(%q, %q) = %q, want %q", tt.path, tt.args, got, tt.want)
		}
	}
}
