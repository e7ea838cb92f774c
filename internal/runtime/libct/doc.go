// Package libct is tug's only door to runc's libcontainer: it turns a bundle's
// OCI spec into a libcontainer config, creates, starts, signals and destroys
// containers, and holds the container init's entry point (`tug-shim init`). Nothing else in tug
// imports libcontainer.
package libct
