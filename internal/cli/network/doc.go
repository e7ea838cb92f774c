// Package network holds the `tug network` commands: create, ls, inspect,
// rm, prune, connect, disconnect.
package network
