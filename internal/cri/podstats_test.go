package cri

import (
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"
)

func TestPodNetworkPrefersEth0AndSortsTheInterfaces(t *testing.T) {
	tests := []struct {
		name        string
		nets        map[string]apicontainer.NetworkStats
		wantDefault string
		wantNames   []string
	}{
		{"none", nil, "", nil},
		{"eth0 among others", map[string]apicontainer.NetworkStats{
			"net1": {RxBytes: 1}, "eth0": {RxBytes: 7, TxBytes: 9, RxErrors: 1, TxErrors: 2},
		}, "eth0", []string{"eth0", "net1"}},
		{"no eth0: the first by name", map[string]apicontainer.NetworkStats{"veth1": {}, "net0": {}}, "net0", []string{"net0", "veth1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := podNetwork(42, tt.nets)
			if tt.wantDefault == "" {
				if got != nil {
					t.Fatalf("podNetwork() = %v, want nil", got)
				}
				return
			}
			if got.DefaultInterface.GetName() != tt.wantDefault || got.Timestamp != 42 {
				t.Errorf("default interface = %v, want %s", got.DefaultInterface, tt.wantDefault)
			}
			var names []string
			for _, i := range got.Interfaces {
				names = append(names, i.Name)
				n := tt.nets[i.Name]
				if i.RxBytes.GetValue() != n.RxBytes || i.TxBytes.GetValue() != n.TxBytes ||
					i.RxErrors.GetValue() != n.RxErrors || i.TxErrors.GetValue() != n.TxErrors {
					t.Errorf("interface %s = %v, want %+v", i.Name, i, n)
				}
			}
			if len(names) != len(tt.wantNames) || names[0] != tt.wantNames[0] || names[1] != tt.wantNames[1] {
				t.Errorf("interfaces = %v, want %v", names, tt.wantNames)
			}
		})
	}
}
