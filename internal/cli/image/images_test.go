package image

import "testing"

func TestImagesFormat(t *testing.T) {
	tests := []struct {
		user           string
		quiet, digests bool
		want           string
	}{
		{"", false, false, "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"},
		{"table", false, false, "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"},
		{"", false, true, "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"},
		{"", true, true, "{{.ID}}"}, // -q wins over --digests
		{"{{.Repository}}", true, false, "{{.ID}}"},
		{"json", false, false, "{{json .}}"},
		{"{{.Repository}}:{{.Tag}}", false, true, "{{.Repository}}:{{.Tag}}"},
	}
	for _, tt := range tests {
		if got := ImagesFormat(tt.user, tt.quiet, tt.digests); got != tt.want {
			t.Errorf("ImagesFormat(%q, quiet %v, digests %v) = %q, want %q", tt.user, tt.quiet, tt.digests, got, tt.want)
		}
	}
}
