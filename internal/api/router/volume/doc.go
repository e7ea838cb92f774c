// Package volume serves the /volumes routes of the Docker Engine API:
// list, inspect, create, remove and prune.
package volume
