package distribution

import (
	"testing"

	"github.com/moby/moby/api/types/registry"

	"github.com/tug-project/tug/internal/filters"
)

func TestSplitSearchTermFindsTheRegistryAsMobyDoes(t *testing.T) {
	for _, tc := range []struct{ term, host, remote string }{
		{"busybox", "docker.io", "busybox"},
		{"user/app", "docker.io", "user/app"},
		{"localhost/app", "localhost", "app"},
		{"127.0.0.1:5000/app", "127.0.0.1:5000", "app"},
		{"reg.example/team/app", "reg.example", "team/app"},
	} {
		if h, r := SplitSearchTerm(tc.term); h != tc.host || r != tc.remote {
			t.Errorf("SplitSearchTerm(%q) = %q, %q, want %q, %q", tc.term, h, r, tc.host, tc.remote)
		}
	}
}

func TestFilterSearchResults(t *testing.T) {
	all := []registry.SearchResult{
		{Name: "a", StarCount: 1},
		{Name: "b", StarCount: 10, IsOfficial: true},
		{Name: "c", StarCount: 5},
	}
	for _, tc := range []struct {
		name    string
		f       filters.Args
		want    []string
		wantErr bool
	}{
		{"none", filters.Args{}, []string{"a", "b", "c"}, false},
		{"official", filters.Args{"is-official": {"true"}}, []string{"b"}, false},
		{"not official", filters.Args{"is-official": {"false"}}, []string{"a", "c"}, false},
		{"stars takes the largest", filters.Args{"stars": {"2", "6"}}, []string{"b"}, false},
		{"automated", filters.Args{"is-automated": {"true"}}, nil, false},
		{"bad stars", filters.Args{"stars": {"x"}}, nil, true},
		{"bad bool", filters.Args{"is-official": {"maybe"}}, nil, true},
		{"unknown key", filters.Args{"name": {"a"}}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FilterSearchResults(all, tc.f)
			if (err != nil) != tc.wantErr {
				t.Fatalf("FilterSearchResults() error = %v, wantErr %v", err, tc.wantErr)
			}
			var names []string
			for _, r := range got {
				names = append(names, r.Name)
			}
			if len(names) != len(tc.want) {
				t.Fatalf("FilterSearchResults() = %v, want %v", names, tc.want)
			}
			for i := range names {
				if names[i] != tc.want[i] {
					t.Fatalf("FilterSearchResults() = %v, want %v", names, tc.want)
				}
			}
		})
	}
}
