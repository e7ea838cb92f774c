// Package build holds `tug build` and `tug builder prune`: it packs the
// context directory (honouring .dockerignore) into a tar, sends it to
// POST /build and renders the streamed progress.
package build
