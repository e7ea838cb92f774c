// Package system implements tug's system-wide commands: version, info,
// events, and the type-agnostic top-level inspect.
package system
