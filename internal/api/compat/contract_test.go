package compat

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// TestEveryRequestFieldIsHandledOrRefused walks moby's request types and
// fails on a field that is on neither list (a field a new moby adds, until
// someone decides), on one that is on both, and on a list entry that names
// no field.
func TestEveryRequestFieldIsHandledOrRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		typ    reflect.Type
		fields Fields
	}{
		{"container create", reflect.TypeFor[apicontainer.CreateRequest](), ContainerCreateFields},
		{"exec create", reflect.TypeFor[apicontainer.ExecCreateRequest](), ExecCreateFields},
		{"exec start", reflect.TypeFor[apicontainer.ExecStartRequest](), ExecStartFields},
		{"network create", reflect.TypeFor[network.CreateRequest](), NetworkCreateFields},
		{"network connect", reflect.TypeFor[network.ConnectRequest](), NetworkConnectFields},
	} {
		t.Run(tc.name, func(t *testing.T) {
			all, leaves := FieldPaths(tc.typ)
			exists := map[string]bool{}
			for _, p := range all {
				exists[p] = true
			}
			refused := map[string]bool{}
			for _, r := range tc.fields.Refused {
				if refused[r.Path] {
					t.Errorf("%s is on the refused list twice", r.Path)
				}
				refused[r.Path] = true
				if !exists[r.Path] {
					t.Errorf("refused %s is not a field of %s", r.Path, tc.typ)
				}
				if r.Msg == "" {
					t.Errorf("refused %s has no message", r.Path)
				}
			}
			for p, where := range tc.fields.Handled {
				if !exists[p] {
					t.Errorf("handled %s is not a field of %s", p, tc.typ)
				}
				if refused[p] {
					t.Errorf("%s is both handled and refused", p)
				}
				if where == "" {
					t.Errorf("handled %s does not say where", p)
				}
			}
			var undecided []string
			for _, p := range all {
				if !leaves[p] || tc.fields.Handled[p] != "" || refusedWithin(p, refused) {
					continue
				}
				undecided = append(undecided, p)
			}
			sort.Strings(undecided)
			if len(undecided) > 0 {
				t.Errorf("fields of %s neither handled nor refused (implement or refuse each, and add it to a list in fields.go):\n  %s",
					tc.typ, strings.Join(undecided, "\n  "))
			}
		})
	}
}

// refusedWithin reports whether p or a struct containing it is refused.
func refusedWithin(p string, refused map[string]bool) bool {
	for {
		if refused[p] {
			return true
		}
		i := strings.LastIndex(p, ".")
		if i < 0 {
			return false
		}
		p = strings.TrimSuffix(p[:i], "[]")
	}
}

// buildParamOf is how moby's client sends each field of ImageBuildOptions
// (client/image_build.go imageBuildOptionsToQuery, and the request's
// header and body).
var buildParamOf = map[string]string{
	"Tags": "t", "SuppressOutput": "q", "RemoteContext": "remote", "NoCache": "nocache",
	"Remove": "rm", "ForceRemove": "forcerm", "PullParent": "pull", "Isolation": "isolation",
	"CPUSetCPUs": "cpusetcpus", "CPUSetMems": "cpusetmems", "CPUShares": "cpushares",
	"CPUQuota": "cpuquota", "CPUPeriod": "cpuperiod", "Memory": "memory", "MemorySwap": "memswap",
	"CgroupParent": "cgroupparent", "NetworkMode": "networkmode", "ShmSize": "shmsize",
	"Dockerfile": "dockerfile", "Ulimits": "ulimits", "BuildArgs": "buildargs",
	"AuthConfigs": "X-Registry-Config", "Context": "", "Labels": "labels", "Squash": "squash",
	"CacheFrom": "cachefrom", "SecurityOpt": "securityopt", "ExtraHosts": "extrahosts",
	"Target": "target", "SessionID": "session", "Platforms": "platform", "Version": "version",
	"BuildID": "buildid", "Outputs": "outputs",
}

// TestEveryBuildParameterIsHandledOrRefused walks moby's client build
// options (the API module has no type for POST /build's query) and fails
// on a field whose parameter is on neither list.
func TestEveryBuildParameterIsHandledOrRefused(t *testing.T) {
	refused := map[string]bool{}
	for _, r := range BuildParams.Refused {
		refused[r.Name] = true
		if BuildParams.Handled[r.Name] != "" {
			t.Errorf("build parameter %s is both handled and refused", r.Name)
		}
	}
	typ := reflect.TypeFor[client.ImageBuildOptions]()
	for f := range typ.Fields() {
		param, ok := buildParamOf[f.Name]
		switch {
		case !ok:
			t.Errorf("ImageBuildOptions.%s: a new field; find the query parameter the client sends it as and decide it", f.Name)
		case param == "": // the context, the request body
		case BuildParams.Handled[param] == "" && !refused[param]:
			t.Errorf("build parameter %s (ImageBuildOptions.%s) is neither handled nor refused", param, f.Name)
		}
	}
}
