package compat

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"runtime"
	"strings"
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/errdefs"
)

func ptr[T any](v T) *T { return &v }

// createWith returns a create request that sets one field.
func createWith(set func(*apicontainer.CreateRequest)) *apicontainer.CreateRequest {
	req := &apicontainer.CreateRequest{Config: &apicontainer.Config{Image: "busybox"}, HostConfig: &apicontainer.HostConfig{}}
	set(req)
	return req
}

func endpoint(es *network.EndpointSettings) func(*apicontainer.CreateRequest) {
	return func(r *apicontainer.CreateRequest) {
		r.NetworkingConfig = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{"mynet": es}}
	}
}

// TestRefusedCreateFieldsAreRefusedNamingThem sets each refused field of
// the create request to a value and checks the error: invalid parameter,
// naming the field (or Docker's text).
func TestRefusedCreateFieldsAreRefusedNamingThem(t *testing.T) {
	cases := map[string]struct {
		set  func(*apicontainer.CreateRequest)
		want string
	}{
		"Config.ArgsEscaped":     {func(r *apicontainer.CreateRequest) { r.ArgsEscaped = true }, "Config.ArgsEscaped"},
		"Config.NetworkDisabled": {func(r *apicontainer.CreateRequest) { r.NetworkDisabled = true }, "Config.NetworkDisabled"},
		"HostConfig.StorageOpt":  {func(r *apicontainer.CreateRequest) { r.HostConfig.StorageOpt = map[string]string{"size": "1G"} }, "--storage-opt is supported only for overlay over xfs"},
		"HostConfig.Runtime":     {func(r *apicontainer.CreateRequest) { r.HostConfig.Runtime = "crun" }, "unknown or invalid runtime name: crun"},
		"HostConfig.Umask":       {func(r *apicontainer.CreateRequest) { r.HostConfig.Umask = ptr(uint32(0o77)) }, "HostConfig.Umask"},
		"HostConfig.Isolation":   {func(r *apicontainer.CreateRequest) { r.HostConfig.Isolation = "hyperv" }, `Invalid isolation: "hyperv" - linux only supports 'default'`},
		"HostConfig.Mounts[].ImageOptions": {func(r *apicontainer.CreateRequest) {
			r.HostConfig.Mounts = []mount.Mount{{Type: mount.TypeBind, Source: "/tmp", Target: "/x", ImageOptions: &mount.ImageOptions{}}}
		}, "ImageOptions"},
		"HostConfig.Mounts[].ClusterOptions": {func(r *apicontainer.CreateRequest) {
			r.HostConfig.Mounts = []mount.Mount{{Type: mount.TypeBind, Source: "/tmp", Target: "/x", ClusterOptions: &mount.ClusterOptions{}}}
		}, "ClusterOptions"},
		"EndpointsConfig[].DriverOpts":          {endpoint(&network.EndpointSettings{DriverOpts: map[string]string{"k": "v"}}), "DriverOpts"},
		"EndpointsConfig[].GwPriority":          {endpoint(&network.EndpointSettings{GwPriority: 10}), "GwPriority"},
		"EndpointsConfig[].EndpointID":          {endpoint(&network.EndpointSettings{EndpointID: "abc"}), "EndpointID is set by the engine"},
		"EndpointsConfig[].Gateway":             {endpoint(&network.EndpointSettings{Gateway: netip.MustParseAddr("10.0.0.1")}), "Gateway is set by the engine"},
		"EndpointsConfig[].IPAddress":           {endpoint(&network.EndpointSettings{IPAddress: netip.MustParseAddr("10.0.0.2")}), "IPAddress is set by the engine"},
		"EndpointsConfig[].IPPrefixLen":         {endpoint(&network.EndpointSettings{IPPrefixLen: 24}), "IPPrefixLen is set by the engine"},
		"EndpointsConfig[].IPv6Gateway":         {endpoint(&network.EndpointSettings{IPv6Gateway: netip.MustParseAddr("fd00::1")}), "IPv6Gateway is set by the engine"},
		"EndpointsConfig[].GlobalIPv6Address":   {endpoint(&network.EndpointSettings{GlobalIPv6Address: netip.MustParseAddr("fd00::2")}), "GlobalIPv6Address is set by the engine"},
		"EndpointsConfig[].GlobalIPv6PrefixLen": {endpoint(&network.EndpointSettings{GlobalIPv6PrefixLen: 64}), "GlobalIPv6PrefixLen is set by the engine"},
		"EndpointsConfig[].DNSNames":            {endpoint(&network.EndpointSettings{DNSNames: []string{"x"}}), "DNSNames is set by the engine"},
	}
	// Every refused path has a case.
	for _, r := range ContainerCreateFields.Refused {
		if _, ok := cases[strings.TrimPrefix(r.Path, "NetworkingConfig.")]; !ok {
			t.Errorf("no case for refused %s", r.Path)
		}
	}
	for name, tc := range cases {
		err := ContainerCreate(createWith(tc.set))
		if !errors.Is(err, errdefs.ErrInvalidParameter) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ContainerCreate() = %v, want an invalid parameter error with %q", name, err, tc.want)
		}
	}
}

// TestDefaultsAreAccepted sends what clients send by default: every field
// at its zero value (empty, not nil, slices and maps too) and Docker's
// default values.
func TestDefaultsAreAccepted(t *testing.T) {
	mac, _ := parseMAC("02:42:ac:11:00:02")
	for name, set := range map[string]func(*apicontainer.CreateRequest){
		"zero":                func(*apicontainer.CreateRequest) {},
		"every zero value":    func(r *apicontainer.CreateRequest) { fillEmpty(reflect.ValueOf(r).Elem()) },
		"Isolation default":   func(r *apicontainer.CreateRequest) { r.HostConfig.Isolation = "default" },
		"Runtime runc":        func(r *apicontainer.CreateRequest) { r.HostConfig.Runtime = "runc" },
		"NetworkMode default": func(r *apicontainer.CreateRequest) { r.HostConfig.NetworkMode = "default" },
		"ConsoleSize":         func(r *apicontainer.CreateRequest) { r.HostConfig.ConsoleSize = [2]uint{24, 80} },
		"no healthcheck": func(r *apicontainer.CreateRequest) {
			r.Healthcheck = &apicontainer.HealthConfig{Test: []string{"NONE"}}
		},
		"empty healthcheck": func(r *apicontainer.CreateRequest) { r.Healthcheck = &apicontainer.HealthConfig{} },
		"handled endpoint fields": endpoint(&network.EndpointSettings{Aliases: []string{"a"}, MacAddress: network.HardwareAddr(mac),
			IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr("10.9.0.5"), LinkLocalIPs: []netip.Addr{netip.MustParseAddr("169.254.1.1")}}}),
	} {
		if err := ContainerCreate(createWith(set)); err != nil {
			t.Errorf("%s: ContainerCreate() = %v, want nil", name, err)
		}
	}
}

// fillEmpty sets every nil pointer, slice and map reachable from v to an
// allocated empty value, as a client that sends "[]" and "{}" does.
func fillEmpty(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			if v.Type().Elem().Kind() != reflect.Struct {
				return // *bool, *int: a set value, not an empty one
			}
			v.Set(reflect.New(v.Type().Elem()))
		}
		fillEmpty(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillEmpty(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
	}
}

func TestExecStartTakesEitherTTYSetting(t *testing.T) {
	for _, start := range []apicontainer.ExecStartRequest{{Tty: true}, {}, {Detach: true}} {
		if err := ExecStart(start); err != nil {
			t.Errorf("ExecStart(%+v) = %v, want nil: the start's Tty decides the framing", start, err)
		}
	}
	if err := ExecCreate(&apicontainer.ExecCreateRequest{Cmd: []string{"true"}, Privileged: true, Tty: true}); err != nil {
		t.Errorf("ExecCreate() = %v, want nil", err)
	}
}

func TestRefusedNetworkFieldsAreRefusedNamingThem(t *testing.T) {
	sub := func(s string) network.IPAMConfig { return network.IPAMConfig{Subnet: netip.MustParsePrefix(s)} }
	cases := map[string]struct {
		req  network.CreateRequest
		want string
	}{
		"Scope":                    {network.CreateRequest{Scope: "swarm"}, `network scope "swarm"`},
		"EnableIPv4":               {network.CreateRequest{EnableIPv4: ptr(false)}, "EnableIPv4=false"},
		"IPAM.Driver":              {network.CreateRequest{IPAM: &network.IPAM{Driver: "dhcp"}}, `IPAM driver "dhcp"`},
		"IPAM.Options":             {network.CreateRequest{IPAM: &network.IPAM{Options: map[string]string{"a": "b"}}}, "IPAM.Options"},
		"IPAM.Config":              {network.CreateRequest{IPAM: &network.IPAM{Config: []network.IPAMConfig{sub("10.8.0.0/24"), sub("10.9.0.0/24"), sub("fd00:1::/64")}}}, "more than two IPAM configs"},
		"IPAM.Config[].IPRange":    {network.CreateRequest{IPAM: &network.IPAM{Config: []network.IPAMConfig{{Subnet: netip.MustParsePrefix("10.8.0.0/16"), IPRange: netip.MustParsePrefix("10.8.1.0/24")}}}}, "IPRange"},
		"IPAM.Config[].AuxAddress": {network.CreateRequest{IPAM: &network.IPAM{Config: []network.IPAMConfig{{AuxAddress: map[string]netip.Addr{"r": netip.MustParseAddr("10.8.0.9")}}}}}, "AuxiliaryAddresses"},
		"Attachable":               {network.CreateRequest{Attachable: true}, "Attachable"},
		"Ingress":                  {network.CreateRequest{Ingress: true}, "Ingress"},
		"ConfigOnly":               {network.CreateRequest{ConfigOnly: true}, "ConfigOnly"},
		"ConfigFrom":               {network.CreateRequest{ConfigFrom: &network.ConfigReference{Network: "x"}}, "ConfigFrom"},
		"Options":                  {network.CreateRequest{Options: map[string]string{"com.docker.network.bridge.gateway_mode_ipv4": "routed"}}, "com.docker.network.bridge.gateway_mode_ipv4"},
	}
	for _, r := range NetworkCreateFields.Refused {
		if _, ok := cases[r.Path]; !ok {
			t.Errorf("no case for refused %s", r.Path)
		}
	}
	for name, tc := range cases {
		tc.req.Name = "n"
		err := NetworkCreate(&tc.req)
		if !errors.Is(err, errdefs.ErrInvalidParameter) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: NetworkCreate() = %v, want an invalid parameter error with %q", name, err, tc.want)
		}
	}
	for name, req := range map[string]network.CreateRequest{
		"zero":        {},
		"docker CLI":  {Driver: "bridge", Scope: "local", EnableIPv4: ptr(true), EnableIPv6: ptr(false), IPAM: &network.IPAM{Driver: "default", Options: map[string]string{}, Config: []network.IPAMConfig{sub("10.8.0.0/24")}}, Options: map[string]string{}, Labels: map[string]string{"a": "b"}},
		"bridge name": {Options: map[string]string{"com.docker.network.bridge.name": "br-x", "com.docker.network.bridge.enable_icc": "true"}},
	} {
		req.Name = "n"
		if err := NetworkCreate(&req); err != nil {
			t.Errorf("%s: NetworkCreate() = %v, want nil", name, err)
		}
	}
	err := NetworkConnect(&network.ConnectRequest{Container: "c", EndpointConfig: &network.EndpointSettings{GwPriority: 3}})
	if !errors.Is(err, errdefs.ErrInvalidParameter) || !strings.Contains(err.Error(), "EndpointConfig.GwPriority") {
		t.Errorf("NetworkConnect(GwPriority) = %v, want refused naming EndpointConfig.GwPriority", err)
	}
	if err := NetworkConnect(&network.ConnectRequest{Container: "c", EndpointConfig: &network.EndpointSettings{Aliases: []string{"a"}}}); err != nil {
		t.Errorf("NetworkConnect(Aliases) = %v, want nil", err)
	}
}

func TestRefusedBuildParametersAreRefusedNamingThem(t *testing.T) {
	for _, r := range BuildParams.Refused {
		q := url.Values{r.Name: {"17"}}
		err := Build(q, http.Header{})
		if !errors.Is(err, errdefs.ErrInvalidParameter) {
			t.Errorf("Build(%s=17) = %v, want an invalid parameter error", r.Name, err)
			continue
		}
		if r.Name != "squash" && r.Name != "isolation" && !strings.Contains(err.Error(), r.Name) {
			t.Errorf("Build(%s=17) = %v, want the parameter named", r.Name, err)
		}
	}
	for _, q := range []url.Values{
		{"t": {"x"}, "rm": {"0"}, "forcerm": {"1"}, "memory": {"0"}, "squash": {"false"}, "cachefrom": {"[]"}, "ulimits": {"null"}},
		{"isolation": {"default"}, "platform": {"linux/" + goarch()}},
		{"platform": {"linux"}},
	} {
		if err := Build(q, http.Header{}); err != nil {
			t.Errorf("Build(%v) = %v, want nil", q, err)
		}
	}
}

func goarch() string { return runtime.GOARCH }

func parseMAC(s string) (net.HardwareAddr, error) { return net.ParseMAC(s) }
