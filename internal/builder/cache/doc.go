// Package cache keys and records the build step cache: a step's key is a
// pure function of its parent image, its expanded instruction, the build
// args it sees and the digest of the files it copies; a record maps a key
// to the image (config and layers) the step produced.
package cache
