// Package links is Docker's legacy container links (--link NAME[:ALIAS])
// as pure functions: parsing and the stored form, and what a linked
// container gives its parent on the default bridge — environment
// variables and an /etc/hosts line.
package links
