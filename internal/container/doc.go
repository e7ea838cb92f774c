// Package container holds the container model, its state machine and the
// crash-safe store of containers on disk, found by ID, unique ID prefix or
// name.
package container
