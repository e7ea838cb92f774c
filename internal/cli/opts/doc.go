// Package opts parses docker's command-line option values: env and label
// files, KEY=VALUE lists, filters, restart policies, platforms and the
// timestamps accepted by --since/--until.
package opts
