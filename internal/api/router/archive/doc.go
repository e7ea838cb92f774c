// Package archive is the API router for a container's filesystem: copying
// in and out (HEAD/GET/PUT /containers/{id}/archive) and the changes of its
// writable layer (GET /containers/{id}/changes). It decodes requests,
// calls the Backend and encodes the answers; it holds no engine logic.
package archive
