// Package cri serves the Kubernetes Container Runtime Interface (CRI v1,
// k8s.io/cri-api) over gRPC on its own unix socket: the runtime and image
// services a kubelet, crictl or critest talk to. Like the HTTP API layer it
// translates requests to engine calls (the small interfaces in backend.go)
// and maps the engine's typed errors to gRPC codes in one function; it owns
// no images or containers itself.
package cri
