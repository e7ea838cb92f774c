package container

import (
	"bytes"
	"context"
	"encoding/json"
	"net"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/api/server"
	"github.com/tug-project/tug/internal/errdefs"
)

// legacyCreate are the container-create fields of older API versions that
// moby's current types no longer have, so decoding would drop them: each
// is handled here or refused by name. The body is the container Config
// with HostConfig and NetworkingConfig beside its fields.
type legacyCreate struct {
	MacAddress string // Config.MacAddress: before 1.52; deprecated from 1.44
	HostConfig struct {
		DiskQuota    int64    // up to 1.39
		Capabilities []string // 1.40 only
	}
}

func readLegacyCreate(body []byte) legacyCreate {
	var l legacyCreate
	_ = json.NewDecoder(bytes.NewReader(body)).Decode(&l) // well-formed: the request decoded
	return l
}

// apply moves or refuses the legacy fields of req, as moby's create
// handler does, and returns its warnings.
func (l legacyCreate) apply(ctx context.Context, req *container.CreateRequest) ([]string, error) {
	if l.HostConfig.DiskQuota != 0 {
		return nil, errdefs.InvalidParameter("HostConfig.DiskQuota (--storage-opt size) is not supported by tug")
	}
	if len(l.HostConfig.Capabilities) != 0 {
		return nil, errdefs.InvalidParameter("HostConfig.Capabilities is not supported by tug: use CapAdd and CapDrop")
	}
	return macAddress(ctx, l.MacAddress, req)
}

// macAddress is moby's handleMACAddressBC: the container-wide MAC address
// of API versions before 1.52 becomes the endpoint MacAddress of the
// container's network (which then takes effect or is refused as that
// field is); from 1.44 with a deprecation warning.
func macAddress(ctx context.Context, mac string, req *container.CreateRequest) ([]string, error) {
	if mac == "" || !server.VersionBefore(ctx, "1.52") {
		return nil, nil
	}
	hw, err := net.ParseMAC(mac)
	if err != nil {
		return nil, errdefs.InvalidParameter("invalid MAC address %q: %v", mac, err)
	}
	mode := req.HostConfig.NetworkMode
	if !mode.IsBridge() && !mode.IsUserDefined() && !mode.IsDefault() {
		return nil, errdefs.InvalidParameter("conflicting options: mac-address and the network mode")
	}
	name := mode.NetworkName()
	if mode == "" || mode.IsDefault() {
		name = "bridge"
	}
	if req.NetworkingConfig == nil {
		req.NetworkingConfig = &network.NetworkingConfig{}
	}
	eps := req.NetworkingConfig.EndpointsConfig
	if eps == nil {
		eps = map[string]*network.EndpointSettings{}
		req.NetworkingConfig.EndpointsConfig = eps
	}
	old := server.VersionBefore(ctx, "1.44")
	ep, ok := eps[name]
	switch {
	case !ok && (old || len(eps) == 0):
		ep = &network.EndpointSettings{}
		eps[name] = ep
	case !ok:
		return nil, errdefs.InvalidParameter("if a container-wide MAC address is supplied, HostConfig.NetworkMode must match the identity of a network in NetworkSettings.Networks")
	}
	if !old && len(ep.MacAddress) != 0 && !bytes.Equal(ep.MacAddress, hw) {
		return nil, errdefs.InvalidParameter("the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty")
	}
	ep.MacAddress = network.HardwareAddr(hw)
	if old {
		return nil, nil
	}
	return []string{"The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead."}, nil
}
