package builder

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePorts(t *testing.T) {
	id := func(s string) (string, error) { return s, nil }
	tests := []struct {
		in      []string
		want    []string
		wantErr bool
	}{
		{in: []string{"80"}, want: []string{"80/tcp"}},
		{in: []string{"53/UDP", "8000-8002"}, want: []string{"53/udp", "8000/tcp", "8001/tcp", "8002/tcp"}},
		{in: []string{"x"}, wantErr: true},
		{in: []string{"70000"}, wantErr: true},
		{in: []string{"9-3"}, wantErr: true},
	}
	for _, tc := range tests {
		got, err := parsePorts(tc.in, id)
		if (err != nil) != tc.wantErr {
			t.Errorf("parsePorts(%v) error = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" && !tc.wantErr {
			t.Errorf("parsePorts(%v) (-want +got):\n%s", tc.in, diff)
		}
	}
}

type recorder struct{ lines []string }

func (r *recorder) Stream(s string) { r.lines = append(r.lines, s) }
func (r *recorder) Aux(string)      {}

// Stages finishing out of order still print in Dockerfile order.
func TestOrderedOutput(t *testing.T) {
	rec := &recorder{}
	o := newOrderedOutput(rec, []int{0, 2, 3})
	o.write(2, "b1")
	o.write(3, "c1")
	o.write(0, "a1")
	o.finish(3)
	o.write(2, "b2")
	o.finish(0)
	o.write(2, "b3")
	o.finish(2)
	o.direct("end")
	want := []string{"a1", "b1", "b2", "b3", "c1", "end"}
	if diff := cmp.Diff(want, rec.lines); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestFamiliar(t *testing.T) {
	for in, want := range map[string]string{
		"app":                 "app:latest",
		"app:v1":              "app:v1",
		"localhost:5000/app":  "localhost:5000/app:latest",
		"localhost:5000/a:v2": "localhost:5000/a:v2",
	} {
		if got := familiar(in); got != want {
			t.Errorf("familiar(%q) = %q, want %q", in, got, want)
		}
	}
}
