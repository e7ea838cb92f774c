package opts

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Filters turns repeated --filter k=v values into API filters.
func Filters(values []string) (client.Filters, error) {
	f := client.Filters{}
	for _, v := range values {
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			return nil, fmt.Errorf("bad format of filter (expected name=value)")
		}
		f.Add(strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(val))
	}
	return f, nil
}

// RestartPolicy parses --restart: no, always, unless-stopped, on-failure[:N].
func RestartPolicy(s string) (container.RestartPolicy, error) {
	p := container.RestartPolicy{}
	name, count, hasCount := strings.Cut(s, ":")
	if name == "" && s != "" {
		return p, fmt.Errorf("invalid restart policy format: no policy provided before colon")
	}
	p.Name = container.RestartPolicyMode(name)
	if hasCount {
		n, err := strconv.Atoi(count)
		if err != nil {
			return p, fmt.Errorf("invalid restart policy format: maximum retry count must be an integer")
		}
		p.MaximumRetryCount = n
	}
	return p, nil
}

// Platform parses os[/arch[/variant]].
func Platform(s string) (*ocispec.Platform, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(strings.ToLower(s), "/")
	if len(parts) > 3 || parts[0] == "" {
		return nil, fmt.Errorf("%q: unknown operating system or architecture: invalid argument", s)
	}
	p := &ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p, nil
}
