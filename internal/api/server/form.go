package server

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tug-project/tug/internal/errdefs"
)

// parseQuery fills r.Form from the query string only (request bodies are
// JSON or archives, never forms), so FormValue never touches the body.
func parseQuery(r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errdefs.InvalidParameter("invalid query: %v", err)
	}
	r.Form = q
	return nil
}

// BoolValue reads a boolean form value the way Docker does: anything but
// "", "0", "no", "false" and "none" (case-insensitive) is true.
func BoolValue(r *http.Request, k string) bool {
	switch strings.ToLower(strings.TrimSpace(r.FormValue(k))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

// BoolValueOrDefault is BoolValue, or def when k is absent.
func BoolValueOrDefault(r *http.Request, k string, def bool) bool {
	if _, ok := r.Form[k]; !ok {
		return def
	}
	return BoolValue(r, k)
}

// IntValue reads an optional integer form value: ok is false when k is absent
// or empty; a malformed value is an InvalidParameter error.
func IntValue(r *http.Request, k string) (n int, ok bool, err error) {
	s := strings.TrimSpace(r.FormValue(k))
	if s == "" {
		return 0, false, nil
	}
	n, err = strconv.Atoi(s)
	if err != nil {
		return 0, false, errdefs.InvalidParameter("invalid value for %s: %q: must be an integer", k, s)
	}
	return n, true, nil
}

// DecodeFilters decodes Docker's `filters` query parameter. Both the current
// form {"key":{"value":true}} and the legacy form {"key":["value"]} are
// accepted; the values of each key come back sorted.
func DecodeFilters(s string) (map[string][]string, error) {
	out := map[string][]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	var current map[string]map[string]bool
	if err := json.Unmarshal([]byte(s), &current); err == nil {
		for k, vs := range current {
			out[k] = slices.Sorted(maps.Keys(vs))
		}
		return out, nil
	}
	var legacy map[string][]string
	if err := json.Unmarshal([]byte(s), &legacy); err != nil {
		return nil, errdefs.InvalidParameter("invalid filter: %v", err)
	}
	for k, vs := range legacy {
		vs = slices.Clone(vs)
		slices.Sort(vs)
		out[k] = slices.Compact(vs)
	}
	return out, nil
}

// ParseTimestamp parses the `since`/`until` form of the API: unix seconds,
// optionally with a fractional part ("1700000000.123456789"). "" gives the
// zero time.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	secStr, fracStr, hasFrac := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil {
		return time.Time{}, errdefs.InvalidParameter("invalid timestamp %q: %v", s, err)
	}
	var nsec int64
	if hasFrac && fracStr != "" {
		if len(fracStr) > 9 {
			fracStr = fracStr[:9]
		}
		n, err := strconv.ParseInt(fracStr, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, errdefs.InvalidParameter("invalid timestamp %q", s)
		}
		nsec = n * int64(math.Pow10(9-len(fracStr)))
		if strings.HasPrefix(secStr, "-") {
			nsec = -nsec
		}
	}
	return time.Unix(sec, nsec), nil
}

// CheckForJSON refuses a request body that is not declared as JSON. A missing
// Content-Type is fine when there is no body.
func CheckForJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" && (r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0) {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return nil
	}
	return errdefs.InvalidParameter("unsupported Content-Type header (%s): must be 'application/json'", ct)
}

// ReadJSON decodes r's body into v. An empty body leaves v as it is and
// returns io.EOF; malformed JSON is InvalidParameter "invalid JSON: ...".
func ReadJSON(r *http.Request, v any) error {
	if r.Body == nil {
		return io.EOF
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return errdefs.InvalidParameter("invalid JSON: %s", err.Error())
	}
	if dec.More() {
		return errdefs.InvalidParameter("unexpected content after JSON")
	}
	return nil
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// TTYSize reads the h and w query parameters of a resize request.
func TTYSize(r *http.Request) (height, width uint, err error) {
	parse := func(k, what string) (uint, error) {
		s := strings.TrimSpace(r.Form.Get(k))
		if s == "" {
			return 0, nil
		}
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, errdefs.InvalidParameter("invalid resize %s %q: %v", what, s, errors.Unwrap(err))
		}
		return uint(n), nil
	}
	if height, err = parse("h", "height"); err != nil {
		return 0, 0, err
	}
	width, err = parse("w", "width")
	return height, width, err
}
