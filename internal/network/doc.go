// Package network plans container networking: the files a container sees
// (/etc/hosts, /etc/resolv.conf, /etc/hostname) and, later, networks,
// endpoints and address management. It computes; it does not touch the
// kernel.
package network
