// Package proctree finds and kills a process with every process it
// started, from the host's /proc.
package proctree

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Tree returns pid and its descendants (children first found, then
// theirs), as /proc shows them now.
func Tree(pid int) ([]int, error) {
	children, err := childrenOf("/proc")
	if err != nil {
		return nil, err
	}
	return descendants(children, pid), nil
}

// Kill sends SIGKILL to pid and all its descendants. It stops them first
// (SIGSTOP), looking again until no new process appears, so that none
// forks a child the kill would miss. Processes gone meanwhile are no
// error.
func Kill(pid int) error {
	seen := map[int]bool{}
	for range 16 {
		tree, err := Tree(pid)
		if err != nil {
			return err
		}
		fresh := false
		for _, p := range tree {
			if !seen[p] {
				seen[p], fresh = true, true
				_ = unix.Kill(p, unix.SIGSTOP)
			}
		}
		if !fresh {
			break
		}
	}
	for p := range seen {
		_ = unix.Kill(p, unix.SIGKILL)
	}
	return nil
}

// childrenOf maps each pid of the /proc at root to its children.
func childrenOf(root string) (map[int][]int, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	out := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", root, pid))
		if err != nil {
			continue // gone meanwhile
		}
		if ppid, ok := parentOf(b); ok {
			out[ppid] = append(out[ppid], pid)
		}
	}
	return out, nil
}

// parentOf is the parent pid in a /proc/<pid>/stat line: the second field
// after the command, which is in parentheses and may hold any byte.
func parentOf(stat []byte) (int, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(string(f[1]))
	return ppid, err == nil
}

// descendants is pid and every process below it in children.
func descendants(children map[int][]int, pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}
