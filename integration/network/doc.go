// Package network holds the root integration tests of container
// networking: the default bridge, published ports, user networks with
// name resolution, isolation, and restart reconciliation. All traffic goes
// to 127.0.0.1 or to addresses on the test daemon's own bridges.
package network
