// Package image holds root integration tests of image commands against a
// real tugd: import, load, save, tag, rmi, inspect.
package image
