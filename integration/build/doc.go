// Package build holds the integration tests of `tug build` and POST /build
// against a real tugd.
package build
