// Package ops holds root integration tests of operating containers: health
// checks, pause, stop/kill/wait details, commit, export, prune, disk usage
// and the events of each, through tugd's socket with the tug CLI, the
// stock docker CLI and the moby client.
package ops
