// Package network serves the /networks routes of the Docker Engine API:
// list, inspect, create, remove, connect, disconnect and prune.
package network
