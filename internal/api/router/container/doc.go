// Package container is the API router for /containers: it decodes requests,
// validates them, calls the Backend and encodes the answers. It holds no
// engine logic.
package container
