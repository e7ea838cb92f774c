// Package portmap applies tug's firewall with nftables, in a table of its
// own: masquerade of container traffic, DNAT of published ports (from
// other hosts and from 127.0.0.1), isolation between networks. It renders
// the network.Ruleset it is given; it also checks host ports are free by
// binding them.
package portmap
