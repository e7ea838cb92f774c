// Package compose holds the root integration tests of Docker Compose
// against tugd: the stack in examples/stack (a web service built from a
// Dockerfile, a stateful service on a named volume, a worker waiting for it
// to be healthy, user networks, a published port, env_file, secrets,
// configs, resource limits, restart policies) brought up, operated and
// taken down through `tug compose` and through the stock `docker compose`,
// both running the same Compose plugin built from source
// (scripts/build-compose.sh). Images come from a docker-registry the tests
// start on 127.0.0.1; every expected line is what Compose prints against
// Docker.
package compose
