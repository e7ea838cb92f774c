package daemon

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	apicontainer "github.com/moby/moby/api/types/container"

	"github.com/tug-project/tug/internal/errdefs"
)

// ContainerTop runs the host's ps (default "-ef") and keeps the lines of
// the container's processes (its cgroup, as the shim sees it), like Docker.
func (d *Daemon) ContainerTop(ctx context.Context, ref, psArgs string) (*apicontainer.TopResponse, error) {
	c, err := d.lookup(ref)
	if err != nil {
		return nil, err
	}
	c.Lock()
	t := d.task(c.ID)
	running, paused := c.State.Running, c.State.Paused
	c.Unlock()
	if !running || t == nil {
		return nil, errdefs.Conflict("container %s is not running", c.ID)
	}
	if paused {
		return nil, errdefs.Conflict("container %s is paused", c.ID)
	}
	if psArgs == "" {
		psArgs = "-ef"
	}
	pids, err := t.client.Pids(ctx)
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, "ps", strings.Fields(psArgs)...).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return nil, errdefs.InvalidParameter("ps: %s", msg)
	}
	return parsePS(out, pids)
}

// parsePS keeps the lines of ps output whose PID is in pids (and the
// thread lines, PID "-", that follow them), merging the fields beyond the
// titles into the last column (the command).
func parsePS(output []byte, pids []int) (*apicontainer.TopResponse, error) {
	lines := strings.Split(string(output), "\n")
	resp := &apicontainer.TopResponse{Titles: strings.Fields(lines[0]), Processes: [][]string{}}
	pidIndex := slices.Index(resp.Titles, "PID")
	if pidIndex < 0 {
		return nil, errdefs.InvalidParameter("Couldn't find PID field in ps output")
	}
	add := func(fields []string) {
		n := len(resp.Titles)
		if len(fields) < n {
			fields = append(fields, make([]string, n-len(fields))...)
		}
		p := append(slices.Clone(fields[:n-1]), strings.Join(fields[n-1:], " "))
		resp.Processes = append(resp.Processes, p)
	}
	inContainer := false
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) <= pidIndex {
			continue
		}
		if fields[pidIndex] == "-" {
			if inContainer {
				add(fields)
			}
			continue
		}
		p, err := strconv.Atoi(fields[pidIndex])
		if err != nil {
			return nil, fmt.Errorf("unexpected pid %q in ps output: %w", fields[pidIndex], err)
		}
		inContainer = slices.Contains(pids, p)
		if inContainer {
			add(fields)
		}
	}
	return resp, nil
}
