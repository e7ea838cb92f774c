// Package bridge applies container links with netlink: Linux bridges,
// veth pairs, addresses and routes, and the network namespaces (bind
// mounted files) containers run in. It executes what internal/network
// planned; it decides nothing.
package bridge
