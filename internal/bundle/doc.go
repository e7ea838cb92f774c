// Package bundle assembles the OCI bundle a container process runs from:
// the root filesystem mounted from its snapshot (whose init layer the
// snapshotter provides), the /etc files bind-mounted into it, and
// config.json built from the base spec options every container process
// shares plus the caller's. Container starts, build steps and the
// archive path all go through it.
package bundle
