package network

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseBridgeOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    map[string]string
		want    BridgeOptions
		wantErr string
	}{
		{"none: Docker's defaults", nil, BridgeOptions{}, ""},
		{"defaults spelled out", map[string]string{OptEnableICC: "true", OptEnableMasq: "true", OptInhibitIPv4: "false"}, BridgeOptions{}, ""},
		{"every option", map[string]string{OptBridgeName: "br-x", OptEnableICC: "false", OptEnableMasq: "0",
			OptHostBindingIPv4: "127.0.0.1", OptInhibitIPv4: "true", OptMTU: "1400"},
			BridgeOptions{Name: "br-x", NoICC: true, NoMasquerade: true, HostBindingIPv4: netip.MustParseAddr("127.0.0.1"), InhibitIPv4: true, MTU: 1400}, ""},
		{"an unknown option", map[string]string{"com.docker.network.bridge.gateway_mode_ipv4": "routed"}, BridgeOptions{},
			"network option com.docker.network.bridge.gateway_mode_ipv4 is not supported by tug"},
		{"a bad boolean", map[string]string{OptEnableICC: "nope"}, BridgeOptions{}, `invalid value "nope" for network option com.docker.network.bridge.enable_icc`},
		{"an IPv6 host binding", map[string]string{OptHostBindingIPv4: "::1"}, BridgeOptions{}, "not an IPv4 address"},
		{"a tiny MTU", map[string]string{OptMTU: "20"}, BridgeOptions{}, "MTU must be between 68 and 65535"},
		{"a long bridge name", map[string]string{OptBridgeName: "a-very-long-bridge-name"}, BridgeOptions{}, "not a valid interface name"},
		{"the default network's marker", map[string]string{optDefaultBridge: "true"}, BridgeOptions{}, "only the default network has it"},
	}
	for _, tt := range tests {
		got, err := ParseBridgeOptions(tt.opts)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: ParseBridgeOptions() = %v, want an error with %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: ParseBridgeOptions() = %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestBridgeAddrIsNoneWithInhibitIPv4(t *testing.T) {
	n := &Network{Name: "x", Subnet: netip.MustParsePrefix("10.1.0.0/24"), Gateway: netip.MustParseAddr("10.1.0.1")}
	if got := n.BridgeAddr(); got != netip.MustParsePrefix("10.1.0.1/24") {
		t.Errorf("BridgeAddr() = %s, want 10.1.0.1/24", got)
	}
	n.Options = map[string]string{OptInhibitIPv4: "true"}
	if got := n.BridgeAddr(); got.IsValid() {
		t.Errorf("BridgeAddr() with inhibit_ipv4 = %s, want none", got)
	}
}
