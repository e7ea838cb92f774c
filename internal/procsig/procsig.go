// Package procsig reads which program a process runs and which signals it
// handles, from /proc/<pid>/status.
package procsig

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// Status is what /proc/<pid>/status says of a process's signals.
type Status struct {
	Name   string // the program's name (changes with each execve)
	Caught uint64 // SigCgt: bit n-1 set when signal n has a handler
}

// Catches reports whether the process had a handler for sig. The init of a
// PID namespace drops a signal it has no handler for (other than SIGKILL
// and SIGSTOP) when it comes from outside the namespace, and an execve
// resets every handler.
func (s Status) Catches(sig syscall.Signal) bool {
	return sig >= 1 && sig <= 64 && s.Caught&(1<<(uint(sig)-1)) != 0
}

// Read reads the status of process pid.
func Read(pid int) (Status, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return Status{}, err
	}
	return parse(b)
}

func parse(status []byte) (Status, error) {
	var st Status
	found := false
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch string(k) {
		case "Name":
			st.Name = string(v)
		case "SigCgt":
			mask, err := strconv.ParseUint(string(v), 16, 64)
			if err != nil {
				return Status{}, fmt.Errorf("SigCgt %q: %w", v, err)
			}
			st.Caught, found = mask, true
		}
	}
	if !found {
		return Status{}, fmt.Errorf("no SigCgt line")
	}
	return st, nil
}
