// Package distribution pulls images from and pushes them to registries
// (Docker Hub rules for short names, mirrors, insecure registries, basic
// and Bearer token auth) over go-containerregistry, streaming layers into
// the content store and the overlay snapshotter in parallel.
package distribution
