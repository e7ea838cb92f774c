// Package cp holds the client side of `tug cp`: Docker's path rules
// (trailing "/." copies a directory's contents, a trailing "/" asserts a
// directory, symlinks followed with -L), the tar stream of a local source
// and the safe extraction of a container's tar into a local destination.
// It follows docker's pkg/archive copy.go, so that `tug cp` and `docker cp`
// agree on every case.
package cp
