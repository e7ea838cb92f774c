package cri

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/logger"
)

// containerCreateRequest translates a container config of the pod of
// sandbox sb (with config podCfg) to the engine's create request. It joins
// the pod's network and IPC namespaces through the sandbox's pause
// container and logs in the CRI's format to logPath ("" for no log of the
// kubelet's). A field tug does not implement is refused.
func containerCreateRequest(sandboxID string, hostNet bool, podCfg *runtimeapi.PodSandboxConfig, cfg *runtimeapi.ContainerConfig, imageID, logPath string) (*apicontainer.CreateRequest, error) {
	switch {
	case cfg.GetWindows() != nil:
		return nil, refuse("windows", "tug runs Linux containers only")
	case len(cfg.GetCDIDevices()) > 0:
		return nil, refuse("CDI_devices", "CDI devices are not implemented")
	}
	hostname := podCfg.GetHostname() // for /etc/hostname; the UTS namespace is the pod's
	if hostname == "" {
		hostname = sandboxID[:12] // the pause container's default
	}
	c := &apicontainer.Config{
		Image:      imageID,
		Hostname:   hostname,
		WorkingDir: cfg.GetWorkingDir(),
		OpenStdin:  cfg.GetStdin(),
		StdinOnce:  cfg.GetStdinOnce(),
		Tty:        cfg.GetTty(),
		Labels: map[string]string{
			labelKind:         kindContainer,
			labelSandbox:      sandboxID,
			labelPodName:      podCfg.GetMetadata().GetName(),
			labelPodNamespace: podCfg.GetMetadata().GetNamespace(),
			labelPodUID:       podCfg.GetMetadata().GetUid(),
			labelName:         cfg.GetMetadata().GetName(),
		},
	}
	if len(cfg.GetCommand()) > 0 {
		c.Entrypoint = cfg.Command
		c.Cmd = cfg.GetArgs()
		if c.Cmd == nil {
			c.Cmd = []string{} // the image's Cmd goes with its entrypoint
		}
	} else if len(cfg.GetArgs()) > 0 {
		c.Cmd = cfg.Args
	}
	for _, kv := range cfg.GetEnvs() {
		c.Env = append(c.Env, kv.Key+"="+string(kv.Value))
	}
	if s := cfg.GetStopSignal(); s != runtimeapi.Signal_SIGNAL_RUNTIME_DEFAULT {
		c.StopSignal = strings.TrimPrefix(s.String(), "SIGNAL_") // SIGNAL_SIGTERM -> SIGTERM
	}
	hc := &apicontainer.HostConfig{
		NetworkMode: apicontainer.NetworkMode("container:" + sandboxID),
		IpcMode:     apicontainer.IpcMode("container:" + sandboxID),
		UTSMode:     apicontainer.UTSMode("container:" + sandboxID),
	}
	if hostNet {
		hc.NetworkMode, hc.UTSMode = "host", "host"
	}
	if o := podCfg.GetLinux().GetSecurityContext().GetNamespaceOptions(); o.GetIpc() == runtimeapi.NamespaceMode_NODE {
		hc.IpcMode = "host"
	}
	// Each container's resolv.conf is made from the pod's DNS config.
	if err := applyDNS(hc, podCfg.GetDnsConfig()); err != nil {
		return nil, err
	}
	if logPath != "" {
		hc.LogConfig = apicontainer.LogConfig{Type: logger.CRIDriver, Config: map[string]string{"path": logPath}}
	}
	for _, m := range cfg.GetMounts() {
		bm, err := bindMount(m)
		if err != nil {
			return nil, err
		}
		hc.Mounts = append(hc.Mounts, bm)
	}
	for _, d := range cfg.GetDevices() {
		hc.Devices = append(hc.Devices, apicontainer.DeviceMapping{PathOnHost: d.HostPath, PathInContainer: d.ContainerPath, CgroupPermissions: d.Permissions})
	}
	if err := applyResources(hc, cfg.GetLinux().GetResources()); err != nil {
		return nil, err
	}
	if err := applySecurity(c, hc, sandboxID, cfg.GetLinux().GetSecurityContext()); err != nil {
		return nil, err
	}
	return &apicontainer.CreateRequest{Config: c, HostConfig: hc}, nil
}

// bindMount is the engine's bind mount of a CRI mount; a missing host
// path is made a directory, as kubelets' runtimes do.
func bindMount(m *runtimeapi.Mount) (mount.Mount, error) {
	switch {
	case len(m.UidMappings) > 0 || len(m.GidMappings) > 0:
		return mount.Mount{}, refuse("mounts.uidMappings", "ID-mapped mounts are not implemented")
	case m.RecursiveReadOnly && !m.Readonly:
		return mount.Mount{}, errdefs.InvalidParameter("mount %s: recursive_read_only needs readonly", m.ContainerPath)
	case m.RecursiveReadOnly && m.Propagation != runtimeapi.MountPropagation_PROPAGATION_PRIVATE:
		return mount.Mount{}, errdefs.InvalidParameter("mount %s: recursive_read_only needs private propagation, not %s", m.ContainerPath, m.Propagation)
	case m.GetImage().GetImage() != "":
		return mount.Mount{}, refuse("mounts.image", "image volumes are not implemented")
	case len(m.MountOptions) > 0:
		return mount.Mount{}, refuse("mounts.mount_options", "not implemented")
	case !filepath.IsAbs(m.HostPath) || !filepath.IsAbs(m.ContainerPath):
		return mount.Mount{}, errdefs.InvalidParameter("mount %q -> %q: paths must be absolute", m.HostPath, m.ContainerPath)
	}
	if _, err := os.Stat(m.HostPath); os.IsNotExist(err) {
		if err := os.MkdirAll(m.HostPath, 0o755); err != nil {
			return mount.Mount{}, fmt.Errorf("mount source %s: %w", m.HostPath, err)
		}
	}
	bm := mount.Mount{Type: mount.TypeBind, Source: m.HostPath, Target: m.ContainerPath, ReadOnly: m.Readonly}
	switch m.Propagation {
	case runtimeapi.MountPropagation_PROPAGATION_PRIVATE:
	case runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER:
		bm.BindOptions = &mount.BindOptions{Propagation: mount.PropagationRSlave}
	case runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL:
		bm.BindOptions = &mount.BindOptions{Propagation: mount.PropagationRShared}
	}
	if m.RecursiveReadOnly {
		bm.BindOptions = &mount.BindOptions{ReadOnlyForceRecursive: true}
	}
	return bm, nil
}

func applyResources(hc *apicontainer.HostConfig, r *runtimeapi.LinuxContainerResources) error {
	if r == nil {
		return nil
	}
	if len(r.HugepageLimits) > 0 {
		return refuse("linux.resources.hugepage_limits", "hugetlb limits are not implemented")
	}
	if len(r.Unified) > 0 {
		return refuse("linux.resources.unified", "cgroup v2 files are not implemented")
	}
	hc.CPUPeriod = r.CpuPeriod
	hc.CPUQuota = r.CpuQuota
	hc.CPUShares = r.CpuShares
	hc.Memory = r.MemoryLimitInBytes
	hc.MemorySwap = r.MemorySwapLimitInBytes
	hc.CpusetCpus = r.CpusetCpus
	hc.CpusetMems = r.CpusetMems
	hc.OomScoreAdj = int(r.OomScoreAdj)
	return nil
}

func applySecurity(c *apicontainer.Config, hc *apicontainer.HostConfig, sandboxID string, sc *runtimeapi.LinuxContainerSecurityContext) error {
	if sc == nil {
		return nil
	}
	if caps := sc.GetCapabilities(); caps != nil {
		if len(caps.AddAmbientCapabilities) > 0 {
			return refuse("linux.security_context.capabilities.add_ambient_capabilities", "not implemented")
		}
		hc.CapAdd = caps.AddCapabilities
		hc.CapDrop = caps.DropCapabilities
	}
	hc.Privileged = sc.Privileged
	if o := sc.GetNamespaceOptions(); o != nil {
		switch o.Pid {
		case runtimeapi.NamespaceMode_CONTAINER:
		case runtimeapi.NamespaceMode_POD:
			hc.PidMode = apicontainer.PidMode("container:" + sandboxID)
		case runtimeapi.NamespaceMode_NODE:
			hc.PidMode = "host"
		case runtimeapi.NamespaceMode_TARGET:
			if o.TargetId == "" {
				return errdefs.InvalidParameter("linux.security_context.namespace_options: pid TARGET needs target_id")
			}
			hc.PidMode = apicontainer.PidMode("container:" + o.TargetId)
		}
		if u := o.GetUsernsOptions(); u != nil && u.Mode != runtimeapi.NamespaceMode_NODE {
			return refuse("linux.security_context.namespace_options.userns_options", "user namespaces are not implemented by tug")
		}
	}
	if so := sc.GetSelinuxOptions(); so != nil && (so.User != "" || so.Role != "" || so.Type != "" || so.Level != "") {
		return refuse("linux.security_context.selinux_options", "this host has no SELinux")
	}
	switch {
	case sc.GetRunAsUser() != nil:
		c.User = strconv.FormatInt(sc.RunAsUser.Value, 10)
	case sc.RunAsUsername != "":
		c.User = sc.RunAsUsername
	}
	if sc.GetRunAsGroup() != nil {
		if c.User == "" {
			return errdefs.InvalidParameter("linux.security_context.run_as_group: needs run_as_user or run_as_username")
		}
		c.User += ":" + strconv.FormatInt(sc.RunAsGroup.Value, 10)
	}
	for _, g := range sc.SupplementalGroups {
		hc.GroupAdd = append(hc.GroupAdd, strconv.FormatInt(g, 10))
	}
	if sc.SupplementalGroupsPolicy == runtimeapi.SupplementalGroupsPolicy_Strict {
		return refuse("linux.security_context.supplemental_groups_policy", "Strict is not implemented")
	}
	hc.ReadonlyRootfs = sc.ReadonlyRootfs
	if sc.NoNewPrivs {
		hc.SecurityOpt = append(hc.SecurityOpt, "no-new-privileges")
	}
	if len(sc.MaskedPaths) > 0 {
		hc.MaskedPaths = sc.MaskedPaths
	}
	if len(sc.ReadonlyPaths) > 0 {
		hc.ReadonlyPaths = sc.ReadonlyPaths
	}
	opt, err := seccompOpt(sc.GetSeccomp(), sc.GetSeccompProfilePath(), "linux.security_context")
	if err != nil {
		return err
	}
	if opt != "" {
		hc.SecurityOpt = append(hc.SecurityOpt, opt)
	}
	return checkAppArmor(sc.GetApparmor(), sc.GetApparmorProfile(), "linux.security_context")
}

// containerName is the engine's name of a pod's container, in the form
// kubelets' Docker runtime used: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>.
func containerName(pod *runtimeapi.PodSandboxMetadata, md *runtimeapi.ContainerMetadata) string {
	return strings.Join([]string{"k8s", md.GetName(), pod.GetName(), pod.GetNamespace(), pod.GetUid(), strconv.FormatUint(uint64(md.GetAttempt()), 10)}, "_")
}
