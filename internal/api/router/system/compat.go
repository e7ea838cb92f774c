package system

import (
	"context"
	"encoding/json"

	"github.com/tug-project/tug/internal/api/server"
)

// infoForVersion gives older API versions the info fields later ones
// dropped (moby's API changelog): before 1.49 the commits' Expected and the
// non-distributable artifact lists, before 1.42 the kernel memory flags
// (false: the kernel no longer enforces kernel memory limits).
func infoForVersion(ctx context.Context, info any) (any, error) {
	if !server.VersionBefore(ctx, "1.49") {
		return info, nil
	}
	doc, err := toDoc(info)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"ContainerdCommit", "RuncCommit", "InitCommit"} {
		if c, ok := doc[k].(map[string]any); ok {
			c["Expected"] = c["ID"]
		}
	}
	if rc, ok := doc["RegistryConfig"].(map[string]any); ok {
		rc["AllowNondistributableArtifactsCIDRs"] = []any{}
		rc["AllowNondistributableArtifactsHostnames"] = []any{}
	}
	if server.VersionBefore(ctx, "1.42") {
		doc["KernelMemory"], doc["KernelMemoryTCP"] = false, false
	}
	return doc, nil
}

// diskUsageForVersion gives older API versions the disk usage fields later
// ones dropped: BuilderSize before 1.42, the images' VirtualSize before
// 1.44, and their null RepoDigests before 1.43.
func diskUsageForVersion(ctx context.Context, du any) (any, error) {
	if !server.VersionBefore(ctx, "1.44") {
		return du, nil
	}
	doc, err := toDoc(du)
	if err != nil {
		return nil, err
	}
	if imgs, ok := doc["Images"].([]any); ok {
		for _, v := range imgs {
			if img, ok := v.(map[string]any); ok {
				img["VirtualSize"] = img["Size"]
				if d, ok := img["RepoDigests"].([]any); ok && len(d) == 0 && server.VersionBefore(ctx, "1.43") {
					img["RepoDigests"] = nil // Docker's null before 1.43
				}
			}
		}
	}
	if server.VersionBefore(ctx, "1.42") {
		doc["BuilderSize"] = 0
	}
	return doc, nil
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
