// Package conformance holds the integration tests of the "nothing silently
// ignored" contract (internal/api/compat): request fields tug does not
// implement are refused through the socket and the docker CLI with nothing
// created, and fields it implements take effect.
package conformance
