// Package registry is the API router for the registry operations outside
// /images/create: POST /images/{name}/push (Docker's push progress stream)
// and POST /auth (login check). It decodes, calls the Backend, encodes.
package registry
