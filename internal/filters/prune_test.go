package filters

import (
	"testing"
	"time"
)

func TestParseUntil(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	for _, tc := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{in: "10m", want: now.Add(-10 * time.Minute)},
		{in: "999000", want: time.Unix(999000, 0)},
		{in: "999000.5", want: time.Unix(999000, 500_000_000)},
		{in: "2020-01-02T03:04:05Z", want: time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)},
		{in: "2020-01-02", want: time.Date(2020, 1, 2, 0, 0, 0, 0, time.Local)},
		{in: "yesterday", err: true},
	} {
		got, err := ParseUntil(tc.in, now)
		if (err != nil) != tc.err || (!tc.err && !got.Equal(tc.want)) {
			t.Errorf("ParseUntil(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestPruneMatch(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	old, recent := now.Add(-time.Hour), now.Add(-time.Minute)
	for _, tc := range []struct {
		args    Args
		created time.Time
		labels  map[string]string
		want    bool
	}{
		{args: Args{}, created: recent, want: true},
		{args: Args{"until": {"10m"}}, created: old, want: true},
		{args: Args{"until": {"10m"}}, created: recent, want: false},
		{args: Args{"label": {"a=1"}}, created: old, labels: map[string]string{"a": "1"}, want: true},
		{args: Args{"label": {"a=1"}}, created: old, labels: map[string]string{"a": "2"}, want: false},
		{args: Args{"label!": {"keep"}}, created: old, labels: map[string]string{"keep": ""}, want: false},
		{args: Args{"label!": {"keep"}}, created: old, want: true},
	} {
		p, err := NewPrune(tc.args, now)
		if err != nil {
			t.Fatalf("NewPrune(%v) = %v", tc.args, err)
		}
		if got := p.Match(tc.created, tc.labels); got != tc.want {
			t.Errorf("%v.Match(%v, %v) = %v, want %v", tc.args, tc.created, tc.labels, got, tc.want)
		}
	}
	if _, err := NewPrune(Args{"dangling": {"true"}}, now); err == nil {
		t.Error("NewPrune accepted an unknown key")
	}
	if _, err := NewPrune(Args{"until": {"1h", "2h"}}, now); err == nil {
		t.Error("NewPrune accepted two until values")
	}
}
