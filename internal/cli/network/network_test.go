package network

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/network"
)

func TestKvMap(t *testing.T) {
	tests := []struct {
		in   []string
		want map[string]string
	}{
		{nil, map[string]string{}},
		{[]string{"a=b", "c="}, map[string]string{"a": "b", "c": ""}},
		{[]string{"bare"}, map[string]string{"bare": ""}},
		{[]string{"k=v=w"}, map[string]string{"k": "v=w"}}, // split at the first =
		{[]string{"k=1", "k=2"}, map[string]string{"k": "2"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, kvMap(tt.in)); diff != "" {
			t.Errorf("kvMap(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestRow(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	n := network.Summary{}
	n.ID, n.Name, n.Driver, n.Scope = id, "front", "bridge", "local"
	n.Internal, n.EnableIPv4 = true, true
	n.Labels = map[string]string{"k": "v"}
	n.Created = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

	tests := []struct {
		field string
		got   func(Row) string
		trunc bool
		want  string
	}{
		{"ID", Row.ID, true, "0123456789ab"},
		{"ID --no-trunc", Row.ID, false, id},
		{"Name", Row.Name, true, "front"},
		{"Driver", Row.Driver, true, "bridge"},
		{"Scope", Row.Scope, true, "local"},
		{"IPv4", Row.IPv4, true, "true"},
		{"IPv6", Row.IPv6, true, "false"},
		{"Internal", Row.Internal, true, "true"},
		{"CreatedAt", Row.CreatedAt, true, "2024-05-06 07:08:09 +0000 UTC"},
		{"Labels", Row.Labels, true, "k=v"},
		{"Label k", func(r Row) string { return r.Label("k") }, true, "v"},
		{"Label missing", func(r Row) string { return r.Label("nope") }, true, ""},
	}
	for _, tt := range tests {
		if got := tt.got(Row{N: n, trunc: tt.trunc}); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.field, got, tt.want)
		}
	}
}
