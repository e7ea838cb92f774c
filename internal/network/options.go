package network

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The bridge driver options (docker network create -o) tug implements.
const (
	OptBridgeName      = "com.docker.network.bridge.name"
	OptEnableICC       = "com.docker.network.bridge.enable_icc"
	OptEnableMasq      = "com.docker.network.bridge.enable_ip_masquerade"
	OptHostBindingIPv4 = "com.docker.network.bridge.host_binding_ipv4"
	OptInhibitIPv4     = "com.docker.network.bridge.inhibit_ipv4"
	OptMTU             = "com.docker.network.driver.mtu"
	optDefaultBridge   = "com.docker.network.bridge.default_bridge" // the default network's own
)

// BridgeOptionNames are the options ParseBridgeOptions accepts.
var BridgeOptionNames = []string{OptBridgeName, OptEnableICC, OptEnableMasq, OptHostBindingIPv4, OptInhibitIPv4, OptMTU}

// BridgeOptions are a bridge network's driver options. The zero value is
// Docker's default.
type BridgeOptions struct {
	Name            string     // the bridge interface; "" picks one
	NoICC           bool       // enable_icc=false: containers of the network cannot reach each other
	NoMasquerade    bool       // enable_ip_masquerade=false: no source NAT going out
	HostBindingIPv4 netip.Addr // host address of published ports that name none
	InhibitIPv4     bool       // the bridge gets no IPv4 address
	MTU             int        // of the containers' interfaces; 0: the bridge's
}

// ParseBridgeOptions checks a network's options: every one must be one
// tug implements, with a valid value.
func ParseBridgeOptions(opts map[string]string) (BridgeOptions, error) {
	var o BridgeOptions
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range opts {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		v := opts[k]
		var err error
		switch k {
		case OptBridgeName:
			if len(v) > 15 || strings.ContainsAny(v, "/ \t\n:") {
				err = fmt.Errorf("not a valid interface name")
			}
			o.Name = v
		case OptEnableICC:
			var b bool
			b, err = strconv.ParseBool(v)
			o.NoICC = !b
		case OptEnableMasq:
			var b bool
			b, err = strconv.ParseBool(v)
			o.NoMasquerade = !b
		case OptInhibitIPv4:
			o.InhibitIPv4, err = strconv.ParseBool(v)
		case OptHostBindingIPv4:
			o.HostBindingIPv4, err = netip.ParseAddr(v)
			if err == nil && !o.HostBindingIPv4.Is4() {
				err = fmt.Errorf("not an IPv4 address")
			}
		case OptMTU:
			o.MTU, err = strconv.Atoi(v)
			if err == nil && (o.MTU < 68 || o.MTU > 65535) {
				err = fmt.Errorf("MTU must be between 68 and 65535")
			}
		case optDefaultBridge:
			err = fmt.Errorf("only the default network has it")
		default:
			return o, fmt.Errorf("network option %s is not supported by tug (it implements %s)", k, strings.Join(BridgeOptionNames, ", "))
		}
		if err != nil {
			return o, fmt.Errorf("invalid value %q for network option %s: %w", v, k, err)
		}
	}
	return o, nil
}

// BridgeOptions are n's options, checked when it was created.
func (n *Network) BridgeOptions() BridgeOptions {
	o, _ := ParseBridgeOptions(n.Options)
	if n.Default() {
		o, _ = ParseBridgeOptions(withoutDefaultBridge(n.Options))
	}
	return o
}

func withoutDefaultBridge(opts map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range opts {
		if k != optDefaultBridge {
			out[k] = v
		}
	}
	return out
}

// BridgeAddr is the address of n's bridge: its gateway in its subnet, or
// none with inhibit_ipv4.
func (n *Network) BridgeAddr() netip.Prefix {
	if n.BridgeOptions().InhibitIPv4 {
		return netip.Prefix{}
	}
	return netip.PrefixFrom(n.Gateway, n.Subnet.Bits())
}
