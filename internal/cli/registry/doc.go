// Package registry holds the registry commands of the CLI: login and
// logout, which keep credentials in Docker's config.json.
package registry
