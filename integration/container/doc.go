// Package container holds root integration tests that drive a real tugd
// through its socket: with the tug CLI, the stock docker CLI and the moby
// client.
package container
