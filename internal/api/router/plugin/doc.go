// Package plugin answers the plugin endpoints: tug has no managed plugins,
// so the list is empty, a named plugin is not found, and installing one
// (pull, upgrade, create, privileges of a remote plugin) is refused with
// an error saying so.
package plugin
