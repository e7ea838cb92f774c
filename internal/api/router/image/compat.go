package image

import (
	"context"
	"encoding/json"

	"github.com/moby/moby/api/types/image"

	"github.com/tug-project/tug/internal/api/server"
)

// legacyConfig are the image Config fields older API versions always
// carry, with their empty values, by the version that dropped them when
// empty (moby's API changelog): before 1.50 the container-only fields of
// container.Config, before 1.52 the image fields.
var legacyConfig = []struct {
	until string
	key   string
	empty any
}{
	{"1.50", "Hostname", ""}, {"1.50", "Domainname", ""}, {"1.50", "AttachStdin", false},
	{"1.50", "AttachStdout", false}, {"1.50", "AttachStderr", false}, {"1.50", "Tty", false},
	{"1.50", "OpenStdin", false}, {"1.50", "StdinOnce", false}, {"1.50", "Image", ""},
	{"1.52", "User", ""}, {"1.52", "Env", nil}, {"1.52", "Cmd", nil}, {"1.52", "Volumes", nil},
	{"1.52", "WorkingDir", ""}, {"1.52", "Entrypoint", nil}, {"1.52", "OnBuild", nil}, {"1.52", "Labels", nil},
}

// legacyConfigDoc is a Config with every legacy field empty (the
// ContainerConfig of API versions before 1.45).
func legacyConfigDoc(ctx context.Context) map[string]any {
	cfg := map[string]any{}
	fillConfig(ctx, cfg)
	return cfg
}

func fillConfig(ctx context.Context, cfg map[string]any) {
	for _, f := range legacyConfig {
		if _, ok := cfg[f.key]; !ok && server.VersionBefore(ctx, f.until) {
			cfg[f.key] = f.empty
		}
	}
}

// inspectForVersion returns the image inspect document in the shape of the
// request's API version: the fields later versions omit when empty are
// there with Docker's empty values.
func inspectForVersion(ctx context.Context, resp *image.InspectResponse) (any, error) {
	if !server.VersionBefore(ctx, "1.52") {
		return resp, nil
	}
	doc, err := toDoc(resp)
	if err != nil {
		return nil, err
	}
	cfg, _ := doc["Config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
		doc["Config"] = cfg
	}
	fillConfig(ctx, cfg)
	for _, k := range []string{"Parent", "Comment", "DockerVersion", "Author"} {
		if _, ok := doc[k]; !ok {
			doc[k] = ""
		}
	}
	if server.VersionBefore(ctx, "1.45") {
		doc["Container"] = ""
		doc["ContainerConfig"] = legacyConfigDoc(ctx)
	}
	if server.VersionBefore(ctx, "1.44") {
		doc["VirtualSize"] = doc["Size"]
	}
	return doc, nil
}

// summariesForVersion adds the VirtualSize of API versions before 1.44.
func summariesForVersion(ctx context.Context, list []image.Summary) (any, error) {
	if !server.VersionBefore(ctx, "1.44") {
		return list, nil
	}
	docs := make([]map[string]any, 0, len(list))
	for i := range list {
		doc, err := toDoc(&list[i])
		if err != nil {
			return nil, err
		}
		doc["VirtualSize"] = doc["Size"]
		docs = append(docs, doc)
	}
	return docs, nil
}

func toDoc(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	err = json.Unmarshal(b, &doc)
	return doc, err
}
