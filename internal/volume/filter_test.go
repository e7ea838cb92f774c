package volume

import (
	"testing"

	"github.com/tug-project/tug/internal/filters"
)

func TestListFilter(t *testing.T) {
	v := Volume{Name: "webdata", Driver: "local", Labels: map[string]string{"app": "web"}}
	tests := []struct {
		args  filters.Args
		inUse bool
		want  bool
	}{
		{args: filters.Args{}, want: true},
		{args: filters.Args{"name": {"web"}}, want: true},
		{args: filters.Args{"name": {"db"}}, want: false},
		{args: filters.Args{"driver": {"local"}}, want: true},
		{args: filters.Args{"driver": {"nfs"}}, want: false},
		{args: filters.Args{"label": {"app"}}, want: true},
		{args: filters.Args{"label": {"app=db"}}, want: false},
		{args: filters.Args{"dangling": {"true"}}, want: true},
		{args: filters.Args{"dangling": {"true"}}, inUse: true, want: false},
		{args: filters.Args{"dangling": {"false"}}, inUse: true, want: true},
	}
	for _, tt := range tests {
		f, err := NewListFilter(tt.args)
		if err != nil {
			t.Fatalf("NewListFilter(%v): %v", tt.args, err)
		}
		if got := f.Match(v, tt.inUse); got != tt.want {
			t.Errorf("Match(%v, inUse=%v) = %v, want %v", tt.args, tt.inUse, got, tt.want)
		}
	}
	if _, err := NewListFilter(filters.Args{"until": {"1h"}}); err == nil {
		t.Errorf("NewListFilter(until) = nil, want invalid filter")
	}
	if _, err := NewListFilter(filters.Args{"dangling": {"maybe"}}); err == nil {
		t.Errorf("NewListFilter(dangling=maybe) = nil")
	}
}

func TestPruneFilter(t *testing.T) {
	anon := Volume{Name: "a", Labels: map[string]string{AnonymousLabel: ""}}
	named := Volume{Name: "n", Labels: map[string]string{"keep": "1"}}
	tests := []struct {
		args       filters.Args
		anon, name bool
	}{
		{args: filters.Args{}, anon: true, name: false},
		{args: filters.Args{"all": {"true"}}, anon: true, name: true},
		{args: filters.Args{"all": {"1"}, "label!": {"keep"}}, anon: true, name: false},
		{args: filters.Args{"all": {"true"}, "label": {"keep=1"}}, anon: false, name: true},
	}
	for _, tt := range tests {
		f, err := NewPruneFilter(tt.args)
		if err != nil {
			t.Fatalf("NewPruneFilter(%v): %v", tt.args, err)
		}
		if got := f.Match(anon); got != tt.anon {
			t.Errorf("%v: anonymous pruned = %v, want %v", tt.args, got, tt.anon)
		}
		if got := f.Match(named); got != tt.name {
			t.Errorf("%v: named pruned = %v, want %v", tt.args, got, tt.name)
		}
	}
	if _, err := NewPruneFilter(filters.Args{"dangling": {"true"}}); err == nil {
		t.Errorf("NewPruneFilter(dangling) = nil, want invalid filter")
	}
}
