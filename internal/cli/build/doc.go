// Package build holds `tug build` and `tug builder prune`: it sends the
// context to POST /build — the directory's path when tugd is on a local
// unix socket and can read it in place (direct.go), else the directory
// packed into a tar (honouring .dockerignore) — and renders the streamed
// progress.
package build
