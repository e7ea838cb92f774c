// Package image implements tug's image commands (images, inspect, tag,
// rmi, save, load, import, pull) and the `tug image` group.
package image
