// Package cli assembles the tug command line: the cobra root with docker's
// global flags, help layout and error conventions, and the command groups
// from its subpackages, and Docker CLI plugins (internal/cli/plugin) for
// words that are no command. It is a thin client of the Docker Engine API and
// imports nothing from tug's engine.
package cli
