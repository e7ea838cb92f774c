package cri

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"

	apicontainer "github.com/moby/moby/api/types/container"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/image"
)

// sandboxCreateRequest translates a pod sandbox config to the engine's
// create request of its pause container, and tells whether the pod uses
// the host's network. A field tug does not implement is refused.
func sandboxCreateRequest(cfg *runtimeapi.PodSandboxConfig) (*apicontainer.CreateRequest, bool, error) {
	if cfg.GetWindows() != nil {
		return nil, false, refuse("windows", "tug runs Linux pods only")
	}
	md := cfg.GetMetadata()
	c := &apicontainer.Config{
		Image:    image.PauseRef,
		Hostname: cfg.GetHostname(),
		Labels: map[string]string{
			labelKind:         kindSandbox,
			labelPodName:      md.GetName(),
			labelPodNamespace: md.GetNamespace(),
			labelPodUID:       md.GetUid(),
		},
	}
	hc := &apicontainer.HostConfig{NetworkMode: "none", IpcMode: "shareable"}
	if err := applyDNS(hc, cfg.GetDnsConfig()); err != nil {
		return nil, false, err
	}
	hostNet := false
	lx := cfg.GetLinux()
	hc.CgroupParent = lx.GetCgroupParent()
	if len(lx.GetSysctls()) > 0 {
		hc.Sysctls = lx.GetSysctls()
	}
	if sc := lx.GetSecurityContext(); sc != nil {
		if o := sc.GetNamespaceOptions(); o != nil {
			switch o.Network {
			case runtimeapi.NamespaceMode_NODE:
				hostNet = true
				hc.NetworkMode = "host"
			case runtimeapi.NamespaceMode_POD:
			default:
				return nil, false, refuse("linux.security_context.namespace_options.network", "only POD and NODE are supported, not "+o.Network.String())
			}
			switch o.Pid {
			case runtimeapi.NamespaceMode_NODE:
				hc.PidMode = "host"
			case runtimeapi.NamespaceMode_POD, runtimeapi.NamespaceMode_CONTAINER:
			default:
				return nil, false, refuse("linux.security_context.namespace_options.pid", "not "+o.Pid.String())
			}
			switch o.Ipc {
			case runtimeapi.NamespaceMode_NODE:
				hc.IpcMode = "host"
			case runtimeapi.NamespaceMode_POD:
			default:
				return nil, false, refuse("linux.security_context.namespace_options.ipc", "only POD and NODE are supported, not "+o.Ipc.String())
			}
			if o.TargetId != "" {
				return nil, false, refuse("linux.security_context.namespace_options.target_id", "targeting another container's namespaces is not implemented")
			}
			if u := o.GetUsernsOptions(); u != nil && u.Mode != runtimeapi.NamespaceMode_NODE {
				return nil, false, refuse("linux.security_context.namespace_options.userns_options", "user namespaces are not implemented by tug")
			}
		}
		if sc.GetSelinuxOptions() != nil && (sc.SelinuxOptions.User != "" || sc.SelinuxOptions.Role != "" || sc.SelinuxOptions.Type != "" || sc.SelinuxOptions.Level != "") {
			return nil, false, refuse("linux.security_context.selinux_options", "this host has no SELinux")
		}
		if sc.GetRunAsUser() != nil {
			c.User = strconv.FormatInt(sc.RunAsUser.Value, 10)
			if sc.GetRunAsGroup() != nil {
				c.User += ":" + strconv.FormatInt(sc.RunAsGroup.Value, 10)
			}
		} else if sc.GetRunAsGroup() != nil {
			return nil, false, errdefs.InvalidParameter("linux.security_context.run_as_group: needs run_as_user")
		}
		for _, g := range sc.GetSupplementalGroups() {
			hc.GroupAdd = append(hc.GroupAdd, strconv.FormatInt(g, 10))
		}
		if sc.SupplementalGroupsPolicy == runtimeapi.SupplementalGroupsPolicy_Strict {
			return nil, false, refuse("linux.security_context.supplemental_groups_policy", "Strict is not implemented")
		}
		hc.Privileged = sc.Privileged
		hc.ReadonlyRootfs = sc.ReadonlyRootfs
		opt, err := seccompOpt(sc.GetSeccomp(), sc.GetSeccompProfilePath(), "linux.security_context")
		if err != nil {
			return nil, false, err
		}
		if opt != "" {
			hc.SecurityOpt = append(hc.SecurityOpt, opt)
		}
		if err := checkAppArmor(sc.GetApparmor(), "", "linux.security_context"); err != nil {
			return nil, false, err
		}
	}
	return &apicontainer.CreateRequest{Config: c, HostConfig: hc}, hostNet, nil
}

// seccompOpt is the engine's security option for a CRI seccomp profile:
// none (nil) is unconfined as the CRI has it, RuntimeDefault the engine's
// default profile, and a Localhost profile is the JSON file at its
// absolute path on this host.
func seccompOpt(p *runtimeapi.SecurityProfile, legacyPath, field string) (string, error) {
	if legacyPath != "" {
		return "", refuse(field+".seccomp_profile_path", "deprecated; use seccomp")
	}
	if p == nil {
		return "seccomp=unconfined", nil
	}
	switch p.GetProfileType() {
	case runtimeapi.SecurityProfile_RuntimeDefault:
		return "", nil
	case runtimeapi.SecurityProfile_Unconfined:
		return "seccomp=unconfined", nil
	case runtimeapi.SecurityProfile_Localhost:
		if !filepath.IsAbs(p.LocalhostRef) {
			return "", errdefs.InvalidParameter("%s.seccomp: localhost_ref %q is not an absolute path", field, p.LocalhostRef)
		}
		b, err := os.ReadFile(p.LocalhostRef)
		if err != nil {
			return "", errdefs.InvalidParameter("%s.seccomp: %v", field, err)
		}
		return "seccomp=" + string(b), nil
	default:
		return "", errdefs.InvalidParameter("%s.seccomp: unknown profile type %d", field, p.GetProfileType())
	}
}

func checkAppArmor(p *runtimeapi.SecurityProfile, legacy, field string) error {
	if legacy != "" && legacy != "unconfined" {
		return refuse(field+".apparmor_profile", "this host has no AppArmor")
	}
	if p != nil && p.ProfileType != runtimeapi.SecurityProfile_Unconfined && p.ProfileType != runtimeapi.SecurityProfile_RuntimeDefault {
		return refuse(field+".apparmor", "this host has no AppArmor")
	}
	return nil
}

// applyDNS gives a container the pod's resolv.conf settings.
func applyDNS(hc *apicontainer.HostConfig, dns *runtimeapi.DNSConfig) error {
	if dns == nil {
		return nil
	}
	hc.DNSSearch = dns.Searches
	hc.DNSOptions = dns.Options
	for _, srv := range dns.Servers {
		a, err := netip.ParseAddr(srv)
		if err != nil {
			return errdefs.InvalidParameter("dns_config.servers: %q is not an IP address", srv)
		}
		hc.DNS = append(hc.DNS, a)
	}
	return nil
}
