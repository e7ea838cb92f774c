// Package security holds root integration tests of containers'
// confinement (capabilities, seccomp, devices, groups, sysctls, --init,
// namespaces), each observed from inside the container, through the tug
// CLI, the stock docker CLI and the moby client.
package security
