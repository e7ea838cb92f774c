// Package distribution holds root integration tests of pull, push, login
// and run's automatic pull against a real tugd and registries served on
// 127.0.0.1 (go-containerregistry's in-process registry).
package distribution
