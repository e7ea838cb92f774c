package cni

import (
	"context"
	"errors"
	"fmt"

	"github.com/containernetworking/cni/libcni"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

// Pod names the pod an attachment is for: plugins get it as CNI_ARGS
// (K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_INFRA_CONTAINER_ID,
// K8S_POD_UID), as kubelets' runtimes pass it.
type Pod struct {
	ID, Name, Namespace, UID string
}

// PortMapping is a port of the pod published on the host, passed to the
// plugins that have the portMappings capability (portmap).
type PortMapping struct {
	HostPort      int32  `json:"hostPort"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol"` // tcp, udp, sctp
	HostIP        string `json:"hostIP,omitempty"`
}

// Attachment is what Attach made: the network it used and the pod's
// addresses in it.
type Attachment struct {
	Network string   `json:"network"`
	IPs     []string `json:"ips"`
}

// Networks attaches pods to the network of the CNI configuration.
type Networks struct {
	confDir string
	binDirs []string
	cni     *libcni.CNIConfig
}

// New returns attachments through the configuration in confDir and the
// plugins in binDirs, with libcni's result cache in cacheDir (so a detach
// after a restart hands the plugins what the attach made).
func New(confDir string, binDirs []string, cacheDir string) *Networks {
	return &Networks{confDir: confDir, binDirs: binDirs, cni: libcni.NewCNIConfigWithCacheDir(binDirs, cacheDir, nil)}
}

// Load is Load of this configuration.
func (n *Networks) Load() (*libcni.NetworkConfigList, error) { return Load(n.confDir, n.binDirs) }

// HasPortMappings tells whether a plugin of list publishes ports.
func HasPortMappings(list *libcni.NetworkConfigList) bool {
	for _, p := range list.Plugins {
		if p.Network.Capabilities["portMappings"] {
			return true
		}
	}
	return false
}

func runtimeConf(pod Pod, netns string, ports []PortMapping) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{
		ContainerID: pod.ID,
		NetNS:       netns,
		IfName:      "eth0",
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", pod.Namespace},
			{"K8S_POD_NAME", pod.Name},
			{"K8S_POD_INFRA_CONTAINER_ID", pod.ID},
			{"K8S_POD_UID", pod.UID},
		},
	}
	if len(ports) > 0 {
		rt.CapabilityArgs = map[string]any{"portMappings": ports}
	}
	return rt
}

// Attach adds the pod's network namespace netns (a path) to the network;
// when it fails, what the plugins did is undone.
func (n *Networks) Attach(ctx context.Context, pod Pod, netns string, ports []PortMapping) (Attachment, error) {
	list, err := n.Load()
	if err != nil {
		return Attachment{}, err
	}
	if len(ports) > 0 && !HasPortMappings(list) {
		return Attachment{}, fmt.Errorf("port_mappings: no plugin of CNI network %q publishes ports (the portMappings capability, e.g. portmap)", list.Name)
	}
	rt := runtimeConf(pod, netns, ports)
	res, err := n.cni.AddNetworkList(ctx, list, rt)
	if err != nil {
		if derr := n.cni.DelNetworkList(context.WithoutCancel(ctx), list, rt); derr != nil {
			err = errors.Join(err, fmt.Errorf("undoing: %w", derr))
		}
		return Attachment{}, fmt.Errorf("CNI network %q: %w", list.Name, err)
	}
	cur, err := types100.NewResultFromResult(res)
	if err != nil {
		return Attachment{}, fmt.Errorf("CNI network %q: result: %w", list.Name, err)
	}
	att := Attachment{Network: list.Name}
	for _, ip := range cur.IPs {
		att.IPs = append(att.IPs, ip.Address.IP.String())
	}
	return att, nil
}

// Detach removes the pod from the network; netns may be "" when the
// namespace is gone (plugins then release what they hold outside it).
func (n *Networks) Detach(ctx context.Context, pod Pod, netns string, ports []PortMapping) error {
	list, err := n.Load()
	if err != nil {
		return err
	}
	if err := n.cni.DelNetworkList(ctx, list, runtimeConf(pod, netns, ports)); err != nil {
		return fmt.Errorf("CNI network %q: %w", list.Name, err)
	}
	return nil
}
