// Package testutil holds helpers for tests: root checks and test images made
// from Debian's busybox-static.
package testutil
