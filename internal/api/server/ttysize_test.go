package server

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/tug-project/tug/internal/errdefs"
)

func TestTTYSize(t *testing.T) {
	tests := []struct {
		query string
		h, w  uint
		bad   bool
	}{
		{"h=30&w=100", 30, 100, false},
		{"", 0, 0, false},
		{"h=x&w=1", 0, 0, true},
		{"h=1&w=-2", 0, 0, true},
		{"h=99999999999&w=1", 0, 0, true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/containers/x/resize?"+tt.query, nil)
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		h, w, err := TTYSize(r)
		if tt.bad {
			if !errors.Is(err, errdefs.ErrInvalidParameter) {
				t.Errorf("TTYSize(%q) = %d, %d, %v; want invalid parameter", tt.query, h, w, err)
			}
			continue
		}
		if err != nil || h != tt.h || w != tt.w {
			t.Errorf("TTYSize(%q) = %d, %d, %v; want %d, %d", tt.query, h, w, err, tt.h, tt.w)
		}
	}
}
