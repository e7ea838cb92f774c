// Package compat drives tugd with other Docker API clients than the CLIs:
// the Docker SDK for Python (Debian's python3-docker).
package compat
