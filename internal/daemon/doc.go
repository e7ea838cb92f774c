// Package daemon is tugd's orchestrator: it implements the API routers'
// backends by coordinating the container, image, snapshot, runtime, logger
// and event packages. Rules and algorithms live in those packages. It
// exchanges types with the routers through internal/api/backend and never
// imports the HTTP layer (depcheck_test.go).
package daemon
