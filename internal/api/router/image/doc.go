// Package image is the API router for /images: it decodes requests,
// validates them, calls the Backend and encodes the answers, including the
// JSON progress streams of pull, import and load. It holds no engine logic.
package image
