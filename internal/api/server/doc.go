// Package server serves the Docker Engine API over HTTP: it owns the
// http.Server and its unix socket, the middleware every route shares (the
// optional /v{version} prefix and API version checks, request logging, panic
// recovery), the one mapping of error classes to HTTP status codes, and the
// small request/response helpers the resource routers use (form values,
// filters, flushing and multiplexed streams, connection hijacking).
package server
