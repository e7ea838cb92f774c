package compat

import (
	"reflect"
	"runtime"
	"strings"

	tugnet "github.com/tug-project/tug/internal/network"
)

// Where things are handled, for the handled lists.
const (
	atCreate    = "internal/daemon ContainerCreate (merged with the image's config; inspect)"
	atStart     = "internal/daemon specOpts at start → internal/oci"
	atRuntime   = "internal/runtime (shim: stdio, TTY, attach)"
	atVolume    = "internal/volume (Validate, mount points; refuses what it does not implement)"
	atResources = "internal/resources (cgroup limits; refuses what the host cannot enforce, with Docker's texts)"
	atConfine   = "internal/confine (Validate and spec; refuses what it does not implement)"
	atNetwork   = "internal/network/controller"
	atEtc       = "internal/network/controller EtcFiles (/etc/hosts, resolv.conf)"
	atPorts     = "internal/network/controller + internal/network/portmap (nftables DNAT)"
	atEndpoint  = "internal/network/controller endpointConfig"
	atExec      = "internal/daemon exec.go (execProcess, ContainerExecStart)"
	asDocker    = "kept in the container's config (inspect), which is all Docker does with it at create"
)

func allowStrings(ok ...string) func(reflect.Value) bool {
	return func(v reflect.Value) bool {
		s := deref(v)
		return s.Kind() == reflect.String && contains(ok, s.String())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// endpointRules are the refused fields of network.EndpointSettings under
// prefix (the create request's endpoints, a connect's endpoint).
func endpointRules(prefix, display string) []Rule {
	operational := func(field, use string) Rule {
		return Rule{Path: prefix + field, Msg: display + field + " is set by the engine and cannot be requested" + use}
	}
	return []Rule{
		{Path: prefix + "DriverOpts", Msg: display + "DriverOpts (--driver-opt) is not supported by tug: %v"},
		{Path: prefix + "GwPriority", Msg: display + "GwPriority (--gw-priority) is not supported by tug"},
		operational("EndpointID", ""),
		operational("Gateway", ""),
		operational("IPAddress", " (use IPAMConfig.IPv4Address, --ip)"),
		operational("IPPrefixLen", ""),
		operational("IPv6Gateway", ""),
		operational("GlobalIPv6Address", " (use IPAMConfig.IPv6Address, --ip6)"),
		operational("GlobalIPv6PrefixLen", ""),
		operational("DNSNames", " (use Aliases, --network-alias)"),
	}
}

func endpointHandled(prefix string) map[string]string {
	return map[string]string{
		prefix + "IPAMConfig.IPv4Address":  atEndpoint + " (--ip, user subnets)",
		prefix + "IPAMConfig.IPv6Address":  atEndpoint + " (--ip6, IPv6 networks)",
		prefix + "Aliases":                 atEndpoint + " + embedded DNS (--network-alias)",
		prefix + "IPAMConfig.LinkLocalIPs": atEndpoint + " (--link-local-ip: extra addresses of the interface, user networks)",
		prefix + "MacAddress":              atEndpoint + " (--mac-address: the interface's MAC)",
		prefix + "Links":                   atEndpoint + " (--link on a user network: an alias for the embedded DNS of this container only)",
		prefix + "NetworkID":               "internal/network/controller networkRef (names the network; preferred over the key for user networks, as Docker does)",
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// ContainerCreateFields decides container.CreateRequest.
var ContainerCreateFields = Fields{
	Handled: merge(map[string]string{
		"Config.Hostname":     atCreate + "; /etc/hostname and the UTS namespace (internal/bundle, internal/oci)",
		"Config.Domainname":   atStart + " WithDomainname",
		"Config.User":         atStart + " WithUser (names from the container's /etc/passwd)",
		"Config.AttachStdin":  atRuntime,
		"Config.AttachStdout": atRuntime,
		"Config.AttachStderr": atRuntime,
		"Config.ExposedPorts": atPorts + " (PublishAllPorts) and inspect",
		"Config.Tty":          atRuntime,
		"Config.OpenStdin":    atRuntime,
		"Config.StdinOnce":    atRuntime,
		"Config.Env":          atCreate + " and the process (internal/oci MergeEnv)",
		"Config.Cmd":          atCreate + " (Path, Args)",
		"Config.Image":        atCreate + " (image resolved by internal/image)",
		"Config.Volumes":      atVolume + " (anonymous volumes)",
		"Config.WorkingDir":   atStart,
		"Config.Entrypoint":   atCreate + " (Path, Args)",
		"Config.OnBuild":      asDocker + " (commit's input)",
		"Config.Labels":       atCreate + "; filters, events, OCI annotations",
		"Config.StopSignal":   "internal/daemon stop and restart (start.go)",
		"Config.StopTimeout":  "internal/daemon stop and restart (start.go)",
		"Config.Shell":        asDocker + " (commit's input)",
		"Config.Healthcheck":  "internal/health (probes run through the shim's exec; State.Health, ps, events); Test [\"NONE\"] runs none",

		"HostConfig.Binds":                                       atVolume,
		"HostConfig.ContainerIDFile":                             "the client's (the CLI writes the file, --cidfile); Docker's daemon does not read it either",
		"HostConfig.LogConfig.Type":                              "internal/daemon validateHostConfig (json-file; other drivers refused with Docker's text)",
		"HostConfig.LogConfig.Config":                            "internal/logger ParseOptions (max-size, max-file; others refused)",
		"HostConfig.NetworkMode":                                 atNetwork + " ValidateMode (bridge, none, host, container:X, user networks)",
		"HostConfig.Links":                                       "internal/daemon links.go → internal/network/links (legacy links: env, /etc/hosts on the default bridge; DNS aliases on user networks)",
		"HostConfig.PortBindings[].HostIP":                       atPorts,
		"HostConfig.PortBindings[].HostPort":                     atPorts,
		"HostConfig.RestartPolicy.Name":                          "internal/container restart policy; validated in internal/daemon validateHostConfig",
		"HostConfig.RestartPolicy.MaximumRetryCount":             "internal/container restart policy",
		"HostConfig.AutoRemove":                                  "internal/daemon (removed at exit, --rm)",
		"HostConfig.VolumeDriver":                                atVolume + " (local only)",
		"HostConfig.VolumesFrom":                                 atVolume,
		"HostConfig.ConsoleSize":                                 atStart + " WithConsoleSize",
		"HostConfig.Annotations":                                 atStart + " WithAnnotations (the OCI spec's annotations)",
		"HostConfig.CapAdd":                                      atConfine,
		"HostConfig.CapDrop":                                     atConfine,
		"HostConfig.CgroupnsMode":                                atConfine,
		"HostConfig.DNS":                                         atEtc + " and the embedded DNS's upstreams",
		"HostConfig.DNSOptions":                                  atEtc,
		"HostConfig.DNSSearch":                                   atEtc,
		"HostConfig.ExtraHosts":                                  atEtc,
		"HostConfig.GroupAdd":                                    atConfine,
		"HostConfig.IpcMode":                                     atConfine,
		"HostConfig.Cgroup":                                      atConfine + " (container:X refused there)",
		"HostConfig.OomScoreAdj":                                 atResources,
		"HostConfig.PidMode":                                     atConfine,
		"HostConfig.Privileged":                                  atConfine,
		"HostConfig.PublishAllPorts":                             atPorts,
		"HostConfig.ReadonlyRootfs":                              atVolume + " / internal/daemon mounts.go",
		"HostConfig.SecurityOpt":                                 atConfine,
		"HostConfig.Tmpfs":                                       atVolume,
		"HostConfig.UTSMode":                                     atConfine,
		"HostConfig.UsernsMode":                                  atConfine + " Validate (\"\" or host, others refused) and internal/daemon userns.go (host opts out of userns-remap)",
		"HostConfig.ShmSize":                                     atResources,
		"HostConfig.Sysctls":                                     atConfine,
		"HostConfig.MaskedPaths":                                 atConfine,
		"HostConfig.ReadonlyPaths":                               atConfine,
		"HostConfig.Init":                                        atConfine + " (tug-init at /sbin/docker-init)",
		"HostConfig.Resources.CPUShares":                         atResources,
		"HostConfig.Resources.Memory":                            atResources,
		"HostConfig.Resources.NanoCPUs":                          atResources,
		"HostConfig.Resources.CgroupParent":                      atResources,
		"HostConfig.Resources.BlkioWeight":                       atResources,
		"HostConfig.Resources.BlkioWeightDevice[].Path":          atResources,
		"HostConfig.Resources.BlkioWeightDevice[].Weight":        atResources,
		"HostConfig.Resources.BlkioDeviceReadBps[].Path":         atResources,
		"HostConfig.Resources.BlkioDeviceReadBps[].Rate":         atResources,
		"HostConfig.Resources.BlkioDeviceWriteBps[].Path":        atResources,
		"HostConfig.Resources.BlkioDeviceWriteBps[].Rate":        atResources,
		"HostConfig.Resources.BlkioDeviceReadIOps[].Path":        atResources,
		"HostConfig.Resources.BlkioDeviceReadIOps[].Rate":        atResources,
		"HostConfig.Resources.BlkioDeviceWriteIOps[].Path":       atResources,
		"HostConfig.Resources.BlkioDeviceWriteIOps[].Rate":       atResources,
		"HostConfig.Resources.CPUPeriod":                         atResources,
		"HostConfig.Resources.CPUQuota":                          atResources,
		"HostConfig.Resources.CPURealtimePeriod":                 atResources + " (refused there)",
		"HostConfig.Resources.CPURealtimeRuntime":                atResources + " (refused there)",
		"HostConfig.Resources.CpusetCpus":                        atResources,
		"HostConfig.Resources.CpusetMems":                        atResources,
		"HostConfig.Resources.Devices[].PathOnHost":              atConfine + " (device cgroup and nodes)",
		"HostConfig.Resources.Devices[].PathInContainer":         atConfine,
		"HostConfig.Resources.Devices[].CgroupPermissions":       atConfine,
		"HostConfig.Resources.DeviceCgroupRules":                 atConfine,
		"HostConfig.Resources.DeviceRequests[].Driver":           atConfine + " (refused there: --gpus)",
		"HostConfig.Resources.DeviceRequests[].Count":            atConfine + " (refused there: --gpus)",
		"HostConfig.Resources.DeviceRequests[].DeviceIDs":        atConfine + " (refused there: --gpus)",
		"HostConfig.Resources.DeviceRequests[].Capabilities":     atConfine + " (refused there: --gpus)",
		"HostConfig.Resources.DeviceRequests[].Options":          atConfine + " (refused there: --gpus)",
		"HostConfig.Resources.MemoryReservation":                 atResources,
		"HostConfig.Resources.MemorySwap":                        atResources,
		"HostConfig.Resources.MemorySwappiness":                  atResources,
		"HostConfig.Resources.OomKillDisable":                    atResources,
		"HostConfig.Resources.PidsLimit":                         atResources,
		"HostConfig.Resources.Ulimits":                           atResources + " (rlimits of the process)",
		"HostConfig.Resources.CPUCount":                          atResources + " (Windows-only: refused there)",
		"HostConfig.Resources.CPUPercent":                        atResources + " (Windows-only: refused there)",
		"HostConfig.Resources.IOMaximumIOps":                     atResources + " (Windows-only: refused there)",
		"HostConfig.Resources.IOMaximumBandwidth":                atResources + " (Windows-only: refused there)",
		"HostConfig.Mounts[].Type":                               atVolume + " (bind, volume, tmpfs; others refused there)",
		"HostConfig.Mounts[].Source":                             atVolume,
		"HostConfig.Mounts[].Target":                             atVolume,
		"HostConfig.Mounts[].ReadOnly":                           atVolume,
		"HostConfig.Mounts[].Consistency":                        "nothing to do on Linux: a bind mount is always consistent, which every mode allows (Docker ignores it on Linux too)",
		"HostConfig.Mounts[].BindOptions.Propagation":            atVolume,
		"HostConfig.Mounts[].BindOptions.NonRecursive":           atVolume,
		"HostConfig.Mounts[].BindOptions.CreateMountpoint":       atVolume,
		"HostConfig.Mounts[].BindOptions.ReadOnlyNonRecursive":   atVolume + " (refused there)",
		"HostConfig.Mounts[].BindOptions.ReadOnlyForceRecursive": atVolume + " (rro: read-only with the mounts under it)",
		"HostConfig.Mounts[].VolumeOptions.NoCopy":               atVolume,
		"HostConfig.Mounts[].VolumeOptions.Labels":               atVolume + " (labels of a volume made on first use)",
		"HostConfig.Mounts[].VolumeOptions.Subpath":              atVolume,
		"HostConfig.Mounts[].VolumeOptions.DriverConfig.Name":    atVolume + " (local only)",
		"HostConfig.Mounts[].VolumeOptions.DriverConfig.Options": atVolume,
		"HostConfig.Mounts[].TmpfsOptions.SizeBytes":             atVolume,
		"HostConfig.Mounts[].TmpfsOptions.Mode":                  atVolume,
		"HostConfig.Mounts[].TmpfsOptions.Options":               atVolume + " (exec, noexec; others refused there)",
	}, endpointHandled("NetworkingConfig.EndpointsConfig[].")),
	Refused: append([]Rule{
		{Path: "Config.ArgsEscaped", Msg: "Config.ArgsEscaped is Windows-only and not supported by tug"},
		{Path: "Config.NetworkDisabled", Msg: "Config.NetworkDisabled is not supported by tug: use HostConfig.NetworkMode \"none\" (--network none)"},
		{Path: "HostConfig.StorageOpt", Msg: "--storage-opt is supported only for overlay over xfs with 'pquota' mount option"},
		{Path: "HostConfig.Runtime", Msg: "unknown or invalid runtime name: %s", Allow: allowStrings("runc")},
		{Path: "HostConfig.Umask", Msg: "HostConfig.Umask is not supported by tug"},
		{Path: "HostConfig.Isolation", Msg: "Invalid isolation: %q - linux only supports 'default'", Allow: allowStrings("default")},
		{Path: "HostConfig.Mounts[].ImageOptions", Msg: "invalid mount config: ImageOptions: mount type image is not supported by tug"},
		{Path: "HostConfig.Mounts[].ClusterOptions", Msg: "invalid mount config: ClusterOptions is a swarm option, not supported by tug"},
	}, endpointRules("NetworkingConfig.EndpointsConfig[].", "NetworkingConfig.EndpointsConfig.")...),
}

// ExecCreateFields decides container.ExecCreateRequest.
var ExecCreateFields = Fields{
	Handled: map[string]string{
		"User":         atExec + " (WithUser)",
		"Privileged":   atExec + " (every capability of the bounding set)",
		"Tty":          atExec + " (terminal, TERM)",
		"ConsoleSize":  atExec + " (with Tty; dropped without, as Docker does)",
		"AttachStdin":  atExec,
		"AttachStderr": atExec,
		"AttachStdout": atExec,
		"DetachKeys":   atExec + " (parsed; Docker's error for a bad one)",
		"Env":          atExec,
		"WorkingDir":   atExec,
		"Cmd":          atExec,
	},
}

// ExecStartFields decides container.ExecStartRequest.
var ExecStartFields = Fields{
	Handled: map[string]string{
		"Detach":      atExec,
		"Tty":         "internal/api/router/exec and internal/daemon ContainerExecStart: frames the stream or not, as Docker's",
		"ConsoleSize": atExec + " (overrides the exec's)",
	},
}

// networkOptions accepts the network options tug implements (their
// values are checked by internal/network ParseBridgeOptions).
func networkOptions(v reflect.Value) bool {
	iter := deref(v).MapRange()
	for iter.Next() {
		if !contains(tugnet.BridgeOptionNames, iter.Key().String()) {
			return false
		}
	}
	return true
}

// NetworkCreateFields decides network.CreateRequest.
var NetworkCreateFields = Fields{
	Handled: map[string]string{
		"Name":                  atNetwork + " Create",
		"Driver":                atNetwork + " Create (bridge; others refused there with Docker's text)",
		"EnableIPv6":            atNetwork + " addNetwork (IPv6 on the bridge: addresses, gateway, DNS AAAA, ip6 rules; needs an IPv6 subnet)",
		"IPAM.Config[].Subnet":  atNetwork + " addNetwork (one IPv4 and one IPv6 subnet)",
		"IPAM.Config[].Gateway": atNetwork + " addNetwork",
		"Internal":              atNetwork + " (no NAT, no route out; internal/network rules)",
		"Labels":                atNetwork + " (inspect, filters)",
	},
	Refused: []Rule{
		{Path: "Scope", Msg: "network scope %q is not supported by tug (local networks only)", Allow: allowStrings("local")},
		{Path: "EnableIPv4", Msg: "EnableIPv4=false (IPv6-only networks) is not supported by tug", Allow: func(v reflect.Value) bool { return deref(v).Bool() }},
		{Path: "IPAM.Driver", Msg: "IPAM driver %q is not supported by tug (only the default one)", Allow: allowStrings("default")},
		{Path: "IPAM.Options", Msg: "IPAM.Options are not supported by tug: %v"},
		{Path: "IPAM.Config", Msg: "more than two IPAM configs (--subnet: one IPv4, one IPv6) per network are not supported by tug", Allow: func(v reflect.Value) bool { return v.Len() <= 2 }},
		{Path: "IPAM.Config[].IPRange", Msg: "IPAM.Config.IPRange (--ip-range) is not supported by tug"},
		{Path: "IPAM.Config[].AuxAddress", Msg: "IPAM.Config.AuxiliaryAddresses (--aux-address) is not supported by tug"},
		{Path: "Attachable", Msg: "Attachable is a swarm option, not supported by tug"},
		{Path: "Ingress", Msg: "Ingress is a swarm option, not supported by tug"},
		{Path: "ConfigOnly", Msg: "ConfigOnly networks (--config-only) are not supported by tug"},
		{Path: "ConfigFrom", Msg: "ConfigFrom (--config-from) is not supported by tug"},
		{Path: "Options", Msg: "network options other than " + strings.Join(tugnet.BridgeOptionNames, ", ") + " are not supported by tug: %v", Allow: networkOptions},
	},
}

// NetworkConnectFields decides network.ConnectRequest.
var NetworkConnectFields = Fields{
	Handled: merge(map[string]string{
		"Container": "internal/daemon NetworkConnect → " + atNetwork + " Connect",
	}, endpointHandled("EndpointConfig.")),
	Refused: endpointRules("EndpointConfig.", "EndpointConfig."),
}

// BuildParams decides POST /build's query parameters (and its
// X-Registry-Config header).
var BuildParams = Params{
	Handled: map[string]string{
		"t":                 "internal/builder (tags)",
		"dockerfile":        "internal/builder",
		"target":            "internal/builder",
		"nocache":           "internal/builder (cache)",
		"pull":              "internal/builder (FROM pulled again)",
		"q":                 "internal/api/router/build (quiet stream)",
		"networkmode":       "internal/daemon setupBuildNetwork",
		"extrahosts":        "internal/api/router/build (validated) → every RUN step's /etc/hosts (internal/network/controller AttachBuild)",
		"buildargs":         "internal/builder",
		"labels":            "internal/builder",
		"version":           "internal/api/router/build (1; 2, BuildKit, refused there)",
		"forcerm":           "build steps are never containers of the store: none is left, on success or failure",
		"rm":                "build steps are never containers of the store: none is left whatever rm says (rm=0, the moby client's and docker-py's default, keeps nothing to keep; BuildKit ignores it too)",
		"tug-context-dir":   "internal/daemon Build (tug's own: the context as a directory)",
		"tug-context-id":    "internal/daemon Build (tug's own)",
		"X-Registry-Config": "internal/daemon PullImage: the credentials of a FROM image's registry (distribution.ResolveAuth)",
	},
	Refused: []ParamRule{
		{Name: "remote", Msg: "build parameter remote (a URL or Git context) is not supported by tug: send the context in the body"},
		{Name: "squash", Msg: "squash is only supported with experimental mode"},
		{Name: "isolation", Msg: "Invalid isolation: %q - linux only supports 'default'", Allow: func(v string) bool { return v == "default" }},
		{Name: "cpusetcpus", Msg: "build parameter cpusetcpus is not supported by tug"},
		{Name: "cpusetmems", Msg: "build parameter cpusetmems is not supported by tug"},
		{Name: "cpushares", Msg: "build parameter cpushares is not supported by tug"},
		{Name: "cpuquota", Msg: "build parameter cpuquota is not supported by tug"},
		{Name: "cpuperiod", Msg: "build parameter cpuperiod is not supported by tug"},
		{Name: "memory", Msg: "build parameter memory is not supported by tug"},
		{Name: "memswap", Msg: "build parameter memswap is not supported by tug"},
		{Name: "cgroupparent", Msg: "build parameter cgroupparent is not supported by tug"},
		{Name: "shmsize", Msg: "build parameter shmsize is not supported by tug"},
		{Name: "ulimits", Msg: "build parameter ulimits is not supported by tug"},
		{Name: "securityopt", Msg: "build parameter securityopt is not supported by tug"},
		// The classic builder's --cache-from trusts layers of pulled
		// images as the cache of matching steps; tug's cache is keyed by
		// content and has no such source.
		{Name: "cachefrom", Msg: "cachefrom is not supported by tugd: its build cache is local and keyed by content"},
		{Name: "session", Msg: "build parameter session (a BuildKit session) is not supported by tug"},
		{Name: "buildid", Msg: "build parameter buildid is not supported by tug"},
		{Name: "outputs", Msg: "build parameter outputs is a BuildKit option, not supported by tug"},
		{Name: "platform", Msg: "build parameter platform %q is not supported by tug: it builds for linux/" + runtime.GOARCH + " only", Allow: hostPlatform},
	},
}

// hostPlatform accepts "linux" and "linux/<this arch>[/variant]".
func hostPlatform(v string) bool {
	parts := strings.Split(strings.ToLower(v), "/")
	return parts[0] == "linux" && (len(parts) == 1 || parts[1] == runtime.GOARCH)
}
