// Package critest runs critest, the Kubernetes CRI validation suite of
// sigs.k8s.io/cri-tools (built from its module source by .ci/cri-tools),
// against a tugd serving the CRI on a temporary root. Its test images are
// made here from busybox-static and small Go programs (testdata) and
// served from an in-memory registry on 127.0.0.1 that tugd uses as the
// mirror of registry.k8s.io and gcr.io: critest pulls them by their own
// names, and nothing leaves the machine.
package critest
