// Package userns resolves daemon.json's userns-remap (Docker's
// user-namespace remapping): the user and group it names, their
// subordinate ID ranges in /etc/subuid and /etc/subgid, and, for
// "default", the dockremap user and its ranges, made as Docker makes them.
// The Remap it returns is the mapping every remapped container's user
// namespace, rootfs and volumes use.
package userns
