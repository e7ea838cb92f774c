package stringid

import (
	"regexp"
	"testing"
)

func TestNewIsSixtyFourHexDigitsAndDiffersEachTime(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{64}$`)
	seen := map[string]bool{}
	for range 100 {
		id := New()
		if !re.MatchString(id) {
			t.Fatalf("New() = %q, want 64 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("New() repeated %q", id)
		}
		seen[id] = true
	}
}
