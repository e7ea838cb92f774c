package server

import (
	"context"
	"strconv"
	"strings"

	"github.com/tug-project/tug/internal/errdefs"
)

// The API versions served: requests for versions outside
// [MinAPIVersion, DefaultAPIVersion] are refused, requests without a version
// prefix get DefaultAPIVersion.
const (
	DefaultAPIVersion = "1.51"
	MinAPIVersion     = "1.24"
)

type versionKey struct{}

// WithAPIVersion returns ctx carrying the request's API version.
func WithAPIVersion(ctx context.Context, version string) context.Context {
	return context.WithValue(ctx, versionKey{}, version)
}

// APIVersion returns the API version of the request ctx belongs to, or
// DefaultAPIVersion when ctx carries none.
func APIVersion(ctx context.Context) string {
	if v, ok := ctx.Value(versionKey{}).(string); ok && v != "" {
		return v
	}
	return DefaultAPIVersion
}

// VersionBefore reports whether the request's API version is lower than v.
func VersionBefore(ctx context.Context, v string) bool {
	return CompareVersions(APIVersion(ctx), v) < 0
}

// CompareVersions compares dotted version strings numerically ("1.9" <
// "1.10"), returning -1, 0 or 1. Missing or non-numeric parts count as 0.
func CompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	}
	return 0
}

// checkVersion validates the version of a request path ("" when the path had
// no prefix) and returns the version the request is served at.
func checkVersion(v string) (string, error) {
	if v == "" {
		return DefaultAPIVersion, nil
	}
	if CompareVersions(v, MinAPIVersion) < 0 {
		return "", errdefs.InvalidParameter("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", v, MinAPIVersion)
	}
	if CompareVersions(v, DefaultAPIVersion) > 0 {
		return "", errdefs.InvalidParameter("client version %s is too new. Maximum supported API version is %s", v, DefaultAPIVersion)
	}
	return v, nil
}
