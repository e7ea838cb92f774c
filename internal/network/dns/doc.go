// Package dns is the embedded DNS server of user networks: it answers a
// container's queries for the names and aliases of the containers it
// shares a network with, and forwards other names to upstream resolvers.
// It serves on sockets the caller creates (inside the container's network
// namespace, at 127.0.0.11:53); the names come from a lookup function.
package dns
