package opts

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const (
	rfc3339Local     = "2006-01-02T15:04:05"
	rfc3339NanoLocal = "2006-01-02T15:04:05.999999999"
	dateWithZone     = "2006-01-02Z07:00"
	dateLocal        = "2006-01-02"
)

// Timestamp converts a --since/--until value into the API's
// "seconds[.nanoseconds]" form, the way docker does: a Go duration is
// relative to ref ("10m" = ten minutes before ref), RFC 3339 dates and
// times (zone optional: then ref's zone), or a unix timestamp as is.
func Timestamp(value string, ref time.Time) (string, error) {
	if d, err := time.ParseDuration(value); value != "0" && err == nil {
		return strconv.FormatInt(ref.Add(-d).Unix(), 10), nil
	}
	inLocation := !strings.ContainsAny(value, "zZ+") && strings.Count(value, "-") != 3
	var format string
	switch {
	case strings.Contains(value, "."):
		if inLocation {
			format = rfc3339NanoLocal
		} else {
			format = time.RFC3339Nano
		}
	case strings.Contains(value, "T"):
		colons := strings.Count(value, ":")
		if !inLocation && !strings.ContainsAny(value, "zZ") && colons > 0 {
			colons--
		}
		switch {
		case inLocation && colons == 0:
			format = "2006-01-02T15"
		case inLocation && colons == 1:
			format = "2006-01-02T15:04"
		case inLocation:
			format = rfc3339Local
		case colons == 0:
			format = "2006-01-02T15Z07:00"
		case colons == 1:
			format = "2006-01-02T15:04Z07:00"
		default:
			format = time.RFC3339
		}
	case inLocation:
		format = dateLocal
	default:
		format = dateWithZone
	}
	var t time.Time
	var err error
	if inLocation {
		t, err = time.ParseInLocation(format, value, time.FixedZone(ref.Zone()))
	} else {
		t, err = time.Parse(format, value)
	}
	if err != nil {
		if strings.Contains(value, "-") {
			return "", err
		}
		if _, _, err := parseUnix(value); err != nil {
			return "", fmt.Errorf("failed to parse value as time or duration: %q", value)
		}
		return value, nil
	}
	return fmt.Sprintf("%d.%09d", t.Unix(), int64(t.Nanosecond())), nil
}

func parseUnix(value string) (sec, nsec int64, err error) {
	s, frac, hasFrac := strings.Cut(value, ".")
	sec, err = strconv.ParseInt(s, 10, 64)
	if err != nil || !hasFrac {
		return sec, 0, err
	}
	nsec, err = strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return sec, nsec, err
	}
	nsec = int64(float64(nsec) * math.Pow(10, float64(9-len(frac))))
	return sec, nsec, nil
}
