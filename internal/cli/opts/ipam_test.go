package opts

import (
	"strings"
	"testing"
)

func TestIPAMConfigsPairGatewaysWithTheirSubnets(t *testing.T) {
	cfgs, err := IPAMConfigs([]string{"10.1.0.0/24", "fd00:1::/64"}, []string{"fd00:1::fe", "10.1.0.254"}, nil)
	if err != nil || len(cfgs) != 2 || cfgs[0].Gateway.String() != "10.1.0.254" || cfgs[1].Gateway.String() != "fd00:1::fe" {
		t.Fatalf("IPAMConfigs() = %+v, %v", cfgs, err)
	}
	for _, tt := range []struct {
		subnets, gateways []string
		want              string
	}{
		{nil, []string{"10.1.0.1"}, "every ip-range or gateway must have a corresponding subnet"},
		{[]string{"10.1.0.0/24"}, []string{"10.2.0.1"}, "no matching subnet for gateway 10.2.0.1"},
		{[]string{"10.1.0.0/24"}, []string{"10.1.0.1", "10.1.0.2"}, "cannot configure multiple gateways"},
		{[]string{"nope"}, nil, "invalid subnet nope"},
	} {
		if _, err := IPAMConfigs(tt.subnets, tt.gateways, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("IPAMConfigs(%v, %v) = %v, want %q", tt.subnets, tt.gateways, err, tt.want)
		}
	}
}

func TestEndpointSettingsFromFlags(t *testing.T) {
	es, err := EndpointSettings([]string{"a"}, "10.1.0.5", "fd00:1::5", []string{"169.254.1.1"}, "02:42:00:00:00:01")
	if err != nil || es.IPAMConfig.IPv4Address.String() != "10.1.0.5" || es.IPAMConfig.IPv6Address.String() != "fd00:1::5" ||
		len(es.IPAMConfig.LinkLocalIPs) != 1 || len(es.MacAddress) != 6 {
		t.Fatalf("EndpointSettings() = %+v, %v", es, err)
	}
	if es, err := EndpointSettings(nil, "", "", nil, ""); err != nil || es.IPAMConfig != nil || es.MacAddress != nil {
		t.Errorf("EndpointSettings(nothing) = %+v, %v; want no IPAM config, no MAC", es, err)
	}
	for _, bad := range [][2]string{{"fd00::1", ""}, {"", "10.0.0.1"}} {
		if _, err := EndpointSettings(nil, bad[0], bad[1], nil, ""); err == nil {
			t.Errorf("EndpointSettings(--ip %q --ip6 %q) = nil error", bad[0], bad[1])
		}
	}
	if _, err := EndpointSettings(nil, "", "", nil, "zz"); err == nil || !strings.Contains(err.Error(), "--mac-address") {
		t.Errorf("EndpointSettings(bad MAC) = %v", err)
	}
}
