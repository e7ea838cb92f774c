// Package daemon holds root integration tests of tugd itself: its flags
// and configuration file.
package daemon
