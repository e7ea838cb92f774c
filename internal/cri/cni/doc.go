// Package cni finds and loads the CNI network configuration pods are
// attached with, the way kubelets' runtimes do: the first configuration file
// of the configuration directory in lexical order, its plugins looked up in
// the plugin directories (/opt/cni/bin, and /usr/lib/cni where Debian's
// containernetworking-plugins installs them).
package cni
