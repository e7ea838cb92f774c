// Package cri holds the integration tests of tugd's Kubernetes CRI server:
// they start a real tugd with --cri-socket on a temporary root and drive
// it through the CRI's gRPC client (k8s.io/cri-api) and through crictl,
// built from sigs.k8s.io/cri-tools' module source by .ci/cri-tools.
package cri
