package container

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"

	"github.com/tug-project/tug/internal/cli/opts"
)

// networkOptions are the networking flags of run and create.
type networkOptions struct {
	publish    []string
	publishAll bool
	expose     []string
	dns        []string
	dnsSearch  []string
	dnsOption  []string
	addHost    []string
	aliases    []string
	ip         string
	ip6        string
	linkLocal  []string
	mac        string
	links      []string
}

func addNetworkFlags(flags *pflag.FlagSet, o *networkOptions) {
	flags.VarP(opts.NewList(&o.publish, "list"), "publish", "p", "Publish a container's port(s) to the host")
	flags.BoolVarP(&o.publishAll, "publish-all", "P", false, "Publish all exposed ports to random ports")
	flags.Var(opts.NewList(&o.expose, "list"), "expose", "Expose a port or a range of ports")
	flags.Var(opts.NewList(&o.dns, "list"), "dns", "Set custom DNS servers")
	flags.Var(opts.NewList(&o.dnsSearch, "list"), "dns-search", "Set custom DNS search domains")
	flags.Var(opts.NewList(&o.dnsOption, "list"), "dns-option", "Set DNS options")
	flags.Var(opts.NewList(&o.addHost, "list"), "add-host", "Add a custom host-to-IP mapping (host:ip)")
	flags.Var(opts.NewList(&o.aliases, "list"), "network-alias", "Add network-scoped alias for the container")
	flags.StringVar(&o.ip, "ip", "", "IPv4 address (e.g., 172.30.100.104)")
	flags.StringVar(&o.ip6, "ip6", "", "IPv6 address (e.g., 2001:db8::33)")
	flags.Var(opts.NewList(&o.linkLocal, "list"), "link-local-ip", "Container IPv4/IPv6 link-local addresses")
	flags.StringVar(&o.mac, "mac-address", "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
	flags.Var(opts.NewList(&o.links, "list"), "link", "Add link to another container")
}

// applyNetworkOptions fills the create request from the networking flags.
func applyNetworkOptions(o *networkOptions, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig) error {
	exposed, bindings, err := opts.ParsePublish(o.publish)
	if err != nil {
		return err
	}
	if err := opts.ParseExpose(o.expose, exposed); err != nil {
		return err
	}
	if len(exposed) > 0 {
		cfg.ExposedPorts = exposed
	}
	if len(bindings) > 0 {
		hc.PortBindings = bindings
	}
	hc.PublishAllPorts = o.publishAll
	for _, s := range o.dns {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("invalid argument %q for \"--dns\" flag: %s is not an ip address", s, s)
		}
		hc.DNS = append(hc.DNS, a)
	}
	hc.Links = append(hc.Links, o.links...)
	hc.DNSSearch = append(hc.DNSSearch, o.dnsSearch...)
	hc.DNSOptions = append(hc.DNSOptions, o.dnsOption...)
	for _, h := range o.addHost {
		name, ip, ok := strings.Cut(h, ":")
		if !ok || name == "" {
			if name, ip, ok = strings.Cut(h, "="); !ok {
				return fmt.Errorf("invalid argument %q for \"--add-host\" flag: bad format for add-host: %q", h, h)
			}
		}
		if ip != "host-gateway" {
			if _, err := netip.ParseAddr(strings.Trim(ip, "[]")); err != nil {
				return fmt.Errorf("invalid argument %q for \"--add-host\" flag: invalid IP address in add-host: %q", h, ip)
			}
		}
		hc.ExtraHosts = append(hc.ExtraHosts, name+":"+ip)
	}
	if len(o.aliases) > 0 || o.ip != "" || o.ip6 != "" || len(o.linkLocal) > 0 || o.mac != "" {
		mode := string(hc.NetworkMode)
		if mode == "default" || mode == "" {
			mode = "bridge"
		}
		es, err := opts.EndpointSettings(o.aliases, o.ip, o.ip6, o.linkLocal, o.mac)
		if err != nil {
			return err
		}
		nc.EndpointsConfig[mode] = es
	}
	return nil
}
