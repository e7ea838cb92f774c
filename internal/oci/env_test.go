package oci

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestMergeEnvReplacesByKey(t *testing.T) {
	tests := []struct {
		env, over, want []string
	}{
		{nil, nil, nil},
		{[]string{"PATH=/bin", "A=1"}, nil, []string{"PATH=/bin", "A=1"}},
		{[]string{"PATH=/bin", "A=1"}, []string{"A=2", "B=3"}, []string{"PATH=/bin", "A=2", "B=3"}},
		{[]string{"A=1"}, []string{"B=1", "B=2"}, []string{"A=1", "B=2"}},
		{[]string{"A=1", "B=2"}, []string{"A"}, []string{"A", "B=2"}}, // a bare key is kept
		{[]string{"A=1"}, []string{"A=", "C"}, []string{"A=", "C"}},
	}
	for _, tt := range tests {
		env := append([]string(nil), tt.env...)
		got := MergeEnv(env, tt.over)
		if d := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("MergeEnv(%v, %v) diff (-want +got):\n%s", tt.env, tt.over, d)
		}
		if !cmp.Equal(env, tt.env, cmpopts.EquateEmpty()) {
			t.Errorf("MergeEnv changed its input: %v, was %v", env, tt.env)
		}
	}
}

func TestWithoutUnsetDropsBareKeys(t *testing.T) {
	tests := []struct {
		env, over, want []string
	}{
		{[]string{"PATH=/bin", "A=1"}, []string{"A=2", "B=3"}, []string{"PATH=/bin", "A=2", "B=3"}},
		{[]string{"A=1", "B=2"}, []string{"A"}, []string{"B=2"}},
		{nil, []string{"A"}, nil},
		{[]string{"A=1"}, []string{"A="}, []string{"A="}},
	}
	for _, tt := range tests {
		got := WithoutUnset(MergeEnv(tt.env, tt.over))
		if d := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("WithoutUnset(MergeEnv(%v, %v)) diff (-want +got):\n%s", tt.env, tt.over, d)
		}
	}
}
