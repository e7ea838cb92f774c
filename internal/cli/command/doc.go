// Package command holds what every tug CLI command shares: the API client
// (daemon selection and version negotiation), the standard streams with their
// TTY state, status errors carrying exit codes, and docker's argument checks.
package command
