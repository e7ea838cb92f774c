// Package daemon is tugd's orchestrator: it implements the API routers'
// backends by coordinating the container, image, snapshot, runtime, logger
// and event packages and the network controller. Rules and algorithms live in those packages.
package daemon
