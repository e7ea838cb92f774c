package opts

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
)

// ParsePublish parses -p/--publish specs ([ip:][hostPort:]containerPort
// [/proto], with ranges) into the exposed ports and port bindings of a
// create request, as docker's CLI does.
func ParsePublish(specs []string) (network.PortSet, network.PortMap, error) {
	exposed := network.PortSet{}
	bindings := network.PortMap{}
	for _, spec := range specs {
		if err := parsePublish(spec, exposed, bindings); err != nil {
			return nil, nil, err
		}
	}
	return exposed, bindings, nil
}

func parsePublish(spec string, exposed network.PortSet, bindings network.PortMap) error {
	rest, proto, _ := strings.Cut(spec, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return fmt.Errorf("invalid proto: %s", proto)
	}
	var ip, hostPort, ctrPort string
	// An IPv6 host address is bracketed: [::1]:8080:80.
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 {
			return fmt.Errorf("invalid IP address: %s", rest)
		}
		ip = rest[1:end]
		parts := strings.Split(strings.TrimPrefix(rest[end+1:], ":"), ":")
		if len(parts) != 2 {
			return fmt.Errorf("invalid port format for --publish: %s", spec)
		}
		hostPort, ctrPort = parts[0], parts[1]
	} else {
		parts := strings.Split(rest, ":")
		switch len(parts) {
		case 1:
			ctrPort = parts[0]
		case 2:
			hostPort, ctrPort = parts[0], parts[1]
		case 3:
			ip, hostPort, ctrPort = parts[0], parts[1], parts[2]
		default:
			return fmt.Errorf("invalid port format for --publish: %s", spec)
		}
	}
	var hostIP netip.Addr
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return fmt.Errorf("invalid IP address: %s", ip)
		}
		hostIP = a
	}
	if ctrPort == "" {
		return fmt.Errorf("no port specified: %s<empty>", spec)
	}
	cLo, cHi, err := portRange(ctrPort)
	if err != nil {
		return fmt.Errorf("invalid containerPort: %s", ctrPort)
	}
	var hLo, hHi uint16
	if hostPort != "" {
		if hLo, hHi, err = portRange(hostPort); err != nil {
			return fmt.Errorf("invalid hostPort: %s", hostPort)
		}
		if hHi-hLo != cHi-cLo && cHi != cLo {
			return fmt.Errorf("invalid ranges specified for container and host Ports: %s and %s", ctrPort, hostPort)
		}
	}
	for i := 0; i <= int(cHi-cLo); i++ {
		p, _ := network.PortFrom(cLo+uint16(i), network.IPProtocol(proto))
		exposed[p] = struct{}{}
		hp := ""
		switch {
		case hostPort == "":
		case cHi == cLo && hHi != hLo:
			hp = hostPort // one container port, a range of host ports to pick from
		default:
			hp = strconv.Itoa(int(hLo) + i)
		}
		bindings[p] = append(bindings[p], network.PortBinding{HostIP: hostIP, HostPort: hp})
	}
	return nil
}

// ParseExpose parses --expose specs (port or range, with /proto).
func ParseExpose(specs []string, exposed network.PortSet) error {
	for _, spec := range specs {
		rest, proto, _ := strings.Cut(spec, "/")
		if proto == "" {
			proto = "tcp"
		}
		lo, hi, err := portRange(rest)
		if err != nil {
			return fmt.Errorf("invalid range format for --expose: %s, error: %v", spec, err)
		}
		for p := int(lo); p <= int(hi); p++ {
			port, ok := network.PortFrom(uint16(p), network.IPProtocol(strings.ToLower(proto)))
			if !ok {
				return fmt.Errorf("invalid proto: %s", proto)
			}
			exposed[port] = struct{}{}
		}
	}
	return nil
}

func portRange(s string) (uint16, uint16, error) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err := strconv.ParseUint(a, 10, 16)
	if err != nil {
		return 0, 0, fmt.Errorf("invalid port: %s", s)
	}
	hi := lo
	if isRange {
		if hi, err = strconv.ParseUint(b, 10, 16); err != nil || hi < lo {
			return 0, 0, fmt.Errorf("invalid port range: %s", s)
		}
	}
	return uint16(lo), uint16(hi), nil
}
