// Package swarm answers the swarm-mode endpoints (swarm, nodes, services,
// tasks, secrets, configs) as a Docker engine that is not part of a swarm
// does: tug has no swarm mode, so every one of them reports that, with
// Docker's status and text, after the checks Docker makes first.
package swarm
