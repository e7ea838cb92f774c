// Package exec holds the integration tests of exec, top, cp and diff:
// they drive a real tugd through its socket with the tug CLI, the moby
// client and the stock docker CLI.
package exec
