// Package build serves POST /build (Docker's classic build API: a tar
// context in, a JSON message stream out) and POST /build/prune.
package build
