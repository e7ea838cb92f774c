// Package exec is the API router for processes in running containers:
// exec (/containers/{id}/exec, /exec/{id}/...) and top
// (/containers/{id}/top). It decodes requests, calls the Backend and
// encodes the answers; it holds no engine logic.
package exec
