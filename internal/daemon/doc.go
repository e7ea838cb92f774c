// Package daemon is tugd's orchestrator: it implements the API routers'
// backends by coordinating the container, image, snapshot, bundle, runtime,
// logger and event packages and the network controller. Rules and
// algorithms live in those packages. It exchanges types with the routers
// through internal/api/backend and imports neither the HTTP layer nor the
// kernel's network interfaces (depcheck_test.go).
package daemon
