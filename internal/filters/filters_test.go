package filters

import (
	"errors"
	"testing"

	"github.com/tug-project/tug/internal/errdefs"
)

func TestValidateRefusesUnknownKeys(t *testing.T) {
	tests := []struct {
		args Args
		want string
	}{
		{Args{}, ""},
		{Args{"label": {"a"}, "dangling": {"true"}}, ""},
		{Args{"colour": {"red"}}, "invalid filter 'colour'"},
	}
	for _, tt := range tests {
		err := tt.args.Validate("label", "dangling")
		if tt.want == "" {
			if err != nil {
				t.Errorf("Validate(%v) = %v, want nil", tt.args, err)
			}
			continue
		}
		if err == nil || err.Error() != tt.want || !errors.Is(err, errdefs.ErrInvalidParameter) {
			t.Errorf("Validate(%v) = %v, want invalid parameter %q", tt.args, err, tt.want)
		}
	}
}

func TestExactMatchAcceptsAnyValue(t *testing.T) {
	a := Args{"type": {"container", "image"}}
	tests := []struct {
		key, source string
		want        bool
	}{
		{"type", "image", true},
		{"type", "network", false},
		{"event", "start", true}, // no values: everything matches
	}
	for _, tt := range tests {
		if got := a.ExactMatch(tt.key, tt.source); got != tt.want {
			t.Errorf("ExactMatch(%q, %q) = %v, want %v", tt.key, tt.source, got, tt.want)
		}
	}
	if !a.Contains("type") || a.Contains("event") {
		t.Errorf("Contains: type %v, event %v; want true, false", a.Contains("type"), a.Contains("event"))
	}
}

func TestMatchKV(t *testing.T) {
	labels := map[string]string{"tier": "test", "empty": ""}
	tests := []struct {
		filter string
		want   bool
	}{
		{"tier", true},
		{"tier=test", true},
		{"tier=prod", false},
		{"tier=", false},
		{"empty", true},
		{"empty=", true},
		{"other", false},
		{"other=x", false},
	}
	for _, tt := range tests {
		if got := MatchKV(tt.filter, labels); got != tt.want {
			t.Errorf("MatchKV(%q) = %v, want %v", tt.filter, got, tt.want)
		}
	}
}

func TestMatchLabels(t *testing.T) {
	labels := map[string]string{"tier": "test", "app": "web"}
	tests := []struct {
		args Args
		want bool
	}{
		{Args{}, true},
		{Args{"label": {"tier"}}, true},
		{Args{"label": {"tier=test", "app=web"}}, true},
		{Args{"label": {"tier=test", "app=db"}}, false}, // all must match
		{Args{"label": {"gone"}}, false},
		{Args{"label!": {"gone"}}, true},
		{Args{"label!": {"tier"}}, false},
		{Args{"label!": {"tier=prod"}}, true},
		{Args{"label!": {"tier", "gone"}}, true}, // excluded only when all match
		{Args{"label": {"app"}, "label!": {"tier=test"}}, false},
	}
	for _, tt := range tests {
		if got := tt.args.MatchLabels(labels); got != tt.want {
			t.Errorf("%v.MatchLabels(%v) = %v, want %v", tt.args, labels, got, tt.want)
		}
		if _, neg := tt.args["label!"]; !neg {
			if got := tt.args.MatchKVList("label", labels); got != tt.want {
				t.Errorf("%v.MatchKVList(label) = %v, want %v", tt.args, got, tt.want)
			}
		}
	}
}
