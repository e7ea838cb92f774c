// Package builder builds images from Dockerfiles: parse (buildkit's
// parser and instructions), dispatch each instruction on the stage's
// image state, run RUN steps through a Runner, write COPY/ADD layers
// directly, and reuse steps through the content-addressed step cache
// (builder/cache). Stages the target needs build in parallel. A context
// is a tar stream unpacked to scratch space, or a directory on this host
// read in place (Builder.Build), whose file digests builder/hashcache
// remembers between builds.
package builder
