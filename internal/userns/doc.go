// Package userns resolves daemon.json's userns-remap (Docker's
// user-namespace remapping): the user and group it names, their
// subordinate ID ranges in /etc/subuid and /etc/subgid, and, for
// "default", the dockremap user and its ranges, made as Docker makes them.
// The Remap it returns is the mapping remapped containers use, and gives
// their spec options (the user namespace, /sys, joined peers' user
// namespaces); GrantTraverse opens the data root's directories to the
// remapped root.
package userns
