// Package volume is `tug volume`: create, ls, inspect, rm and prune, with
// Docker's flags and output.
package volume
