// Package testcontainers runs testcontainers-go (a pinned release, in this
// nested module so that tug's own module graph does not carry it) against
// tugd: scripts/testcontainers.sh starts a tugd on a temporary root, imports
// a busybox image and runs these tests with DOCKER_HOST at it.
//
// Ryuk, testcontainers' reaper, is switched off the documented way
// (TESTCONTAINERS_RYUK_DISABLED=true): its image (testcontainers/ryuk) is
// on Docker Hub only, which tests never reach, and this release has no
// setting to name another image. The tests terminate what they start, and
// the script checks that nothing is left.
package testcontainers
