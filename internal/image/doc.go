// Package image is tug's image store: references (short names are Docker
// Hub's), image records (config, layers, tags) kept crash-safely, resolution
// of names and ID prefixes as Docker does, deletion with Docker's rmi rules,
// and the image archives of `docker import`, `docker save` and `docker load`.
package image
