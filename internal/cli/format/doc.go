// Package format renders CLI output the way docker does: tables through a
// tabwriter, --format Go templates with docker's template functions, the
// "json" shorthand, and indented inspect output.
package format
