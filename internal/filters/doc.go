// Package filters matches the decoded `filters` query parameter of list,
// prune and events requests against objects, with Docker's semantics:
// values of one key are alternatives, keys must all match.
package filters
