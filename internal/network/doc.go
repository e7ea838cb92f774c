// Package network plans container networking: networks, endpoints and
// their persisted state, address management (subnet choice, IP
// allocation, MACs), published-port planning, the firewall rule set, and
// the files a container sees (/etc/hosts, /etc/resolv.conf). It computes
// and persists; it does not touch the kernel (network/bridge applies
// links, network/portmap applies rules, network/dns serves names;
// network/controller drives all of them).
package network
