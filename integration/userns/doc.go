// Package userns holds root integration tests of daemon.json
// userns-remap: containers and build steps in a user namespace, their
// files on the host, the --userns host opt-out, and tugd's refusal of a
// remap it cannot set up. Each test starts its own tugd with
// "userns-remap": "default", which creates the dockremap user and its
// subordinate ranges on the host when missing, as Docker does.
package userns
