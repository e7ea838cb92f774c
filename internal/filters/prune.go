package filters

import (
	"strconv"
	"strings"
	"time"

	"github.com/tug-project/tug/internal/errdefs"
)

// Prune is the filters of a prune request: `until` (a timestamp or a
// duration before now: objects created before it) and `label`/`label!`
// (MatchLabels).
type Prune struct {
	args  Args
	until time.Time
}

// NewPrune validates a prune's filters: until, label, label! and the
// extra keys the caller handles itself.
func NewPrune(a Args, now time.Time, extra ...string) (*Prune, error) {
	if err := a.Validate(append([]string{"until", "label", "label!"}, extra...)...); err != nil {
		return nil, err
	}
	p := &Prune{args: a}
	vals := a.Get("until")
	if len(vals) > 1 {
		return nil, errdefs.InvalidParameter("more than one until filter specified")
	}
	if len(vals) == 1 {
		t, err := ParseUntil(vals[0], now)
		if err != nil {
			return nil, err
		}
		p.until = t
	}
	return p, nil
}

// Match reports whether an object created at created with labels passes.
func (p *Prune) Match(created time.Time, labels map[string]string) bool {
	if !p.until.IsZero() && !created.Before(p.until) {
		return false
	}
	return p.args.MatchLabels(labels)
}

// ParseUntil reads an `until` value as Docker does: a Go duration ("10m",
// before now), unix seconds with optional fraction, or an RFC 3339 date or
// date-time (local time when it has no zone).
func ParseUntil(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	if sec, frac, ok := strings.Cut(v, "."); ok || sec != "" {
		if s, err := strconv.ParseInt(sec, 10, 64); err == nil {
			ns := int64(0)
			if ok {
				f := (frac + "000000000")[:9]
				n, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					return time.Time{}, errdefs.InvalidParameter("invalid until value %q", v)
				}
				ns = n
			}
			return time.Unix(s, ns), nil
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errdefs.InvalidParameter("failed to parse value as time or duration: %q", v)
}
