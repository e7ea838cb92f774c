// Package conformance holds the integration tests of the API contracts:
// "nothing silently ignored" (internal/api/compat): request fields tug does
// not implement are refused through the socket and the docker CLI with
// nothing created, and fields it implements take effect; "every documented
// endpoint answers": every path and method of moby's swagger.yaml is
// served; and the endpoints of features tug does not have (swarm mode,
// managed plugins) answer as Docker does when they are off.
package conformance
