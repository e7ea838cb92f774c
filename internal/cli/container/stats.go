package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/format"
)

// defaultStatsTable is docker stats' default format.
const defaultStatsTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// statsHeader holds docker stats' column titles.
var statsHeader = format.HeaderContext{
	"Container": "CONTAINER",
	"ID":        "CONTAINER ID",
	"Name":      "NAME",
	"CPUPerc":   "CPU %",
	"MemUsage":  "MEM USAGE / LIMIT",
	"MemPerc":   "MEM %",
	"NetIO":     "NET I/O",
	"BlockIO":   "BLOCK I/O",
	"PIDs":      "PIDS",
}

type statsOptions struct {
	all      bool
	noStream bool
	noTrunc  bool
	format   string
}

func newStatsCommand(c *command.Cli) *cobra.Command {
	var o statsOptions
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStats(cmd.Context(), c, &o, args)
		},
		Annotations: map[string]string{"aliases": "tug container stats, tug stats"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	flags.BoolVar(&o.noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	flags.BoolVar(&o.noTrunc, "no-trunc", false, "Do not truncate output")
	flags.StringVar(&o.format, "format", "", format.ListFormatHelp)
	return cmd
}

// statsEntry is one container's figures, computed from a sample as the
// docker CLI does.
type statsEntry struct {
	Container        string // as named on the command line, or the ID
	ID, Name         string
	CPUPercentage    float64
	Memory, MemLimit float64
	MemoryPercentage float64
	NetRx, NetTx     float64
	BlockRead        float64
	BlockWrite       float64
	PidsCurrent      uint64
	trunc            bool
	err              error
}

// statsRow is a statsEntry as the --format templates see it.
type statsRow struct{ e statsEntry }

func (r statsRow) Container() string { return r.e.Container }
func (r statsRow) Name() string      { return strings.TrimPrefix(r.e.Name, "/") }
func (r statsRow) ID() string {
	if r.e.trunc {
		return format.TruncateID(r.e.ID)
	}
	return r.e.ID
}
func (r statsRow) CPUPerc() string {
	if r.e.err != nil {
		return "--"
	}
	return fmt.Sprintf("%.2f%%", r.e.CPUPercentage)
}
func (r statsRow) MemUsage() string {
	if r.e.err != nil {
		return "-- / --"
	}
	return units.BytesSize(r.e.Memory) + " / " + units.BytesSize(r.e.MemLimit)
}
func (r statsRow) MemPerc() string {
	if r.e.err != nil {
		return "--"
	}
	return fmt.Sprintf("%.2f%%", r.e.MemoryPercentage)
}
func (r statsRow) NetIO() string {
	if r.e.err != nil {
		return "--"
	}
	return units.HumanSizeWithPrecision(r.e.NetRx, 3) + " / " + units.HumanSizeWithPrecision(r.e.NetTx, 3)
}
func (r statsRow) BlockIO() string {
	if r.e.err != nil {
		return "--"
	}
	return units.HumanSizeWithPrecision(r.e.BlockRead, 3) + " / " + units.HumanSizeWithPrecision(r.e.BlockWrite, 3)
}
func (r statsRow) PIDs() string {
	if r.e.err != nil {
		return "--"
	}
	return fmt.Sprintf("%d", r.e.PidsCurrent)
}

// MarshalJSON is docker stats --format json's object.
func (r statsRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"BlockIO": r.BlockIO(), "CPUPerc": r.CPUPerc(), "Container": r.Container(), "ID": r.ID(),
		"MemPerc": r.MemPerc(), "MemUsage": r.MemUsage(), "Name": r.Name(), "NetIO": r.NetIO(), "PIDs": r.PIDs(),
	})
}

// entryFromStats computes the docker CLI's figures from one sample: CPU %
// of the whole machine scaled by its CPUs, memory without the inactive
// page cache, network and block I/O summed.
func entryFromStats(s *container.StatsResponse) statsEntry {
	e := statsEntry{ID: s.ID, Name: s.Name}
	cpuDelta := float64(s.CPUStats.CPUUsage.TotalUsage) - float64(s.PreCPUStats.CPUUsage.TotalUsage)
	sysDelta := float64(s.CPUStats.SystemUsage) - float64(s.PreCPUStats.SystemUsage)
	online := float64(s.CPUStats.OnlineCPUs)
	if online == 0 {
		online = float64(len(s.CPUStats.CPUUsage.PercpuUsage))
	}
	if sysDelta > 0 && cpuDelta > 0 {
		e.CPUPercentage = cpuDelta / sysDelta * online * 100
	}
	usage := float64(s.MemoryStats.Usage)
	for _, k := range []string{"total_inactive_file", "inactive_file"} { // v1, v2
		if v, ok := s.MemoryStats.Stats[k]; ok && float64(v) < usage {
			usage -= float64(v)
			break
		}
	}
	e.Memory, e.MemLimit = usage, float64(s.MemoryStats.Limit)
	if e.MemLimit != 0 {
		e.MemoryPercentage = e.Memory / e.MemLimit * 100
	}
	for _, n := range s.Networks {
		e.NetRx += float64(n.RxBytes)
		e.NetTx += float64(n.TxBytes)
	}
	for _, b := range s.BlkioStats.IoServiceBytesRecursive {
		switch strings.ToLower(b.Op) {
		case "read":
			e.BlockRead += float64(b.Value)
		case "write":
			e.BlockWrite += float64(b.Value)
		}
	}
	e.PidsCurrent = s.PidsStats.Current
	return e
}

func statsFormat(f string) string {
	switch f {
	case "", format.TableFormatKey:
		return defaultStatsTable
	case format.JSONFormatKey:
		return format.JSONFormat
	}
	return f
}

func runStats(ctx context.Context, c *command.Cli, o *statsOptions, args []string) error {
	names := args
	if len(names) == 0 {
		res, err := c.Client().ContainerList(ctx, client.ContainerListOptions{All: o.all})
		if err != nil {
			return err
		}
		for _, ctr := range res.Items {
			names = append(names, ctr.ID)
		}
	}
	entries := make([]statsEntry, len(names))
	for i, n := range names {
		entries[i] = statsEntry{Container: n, ID: n, trunc: !o.noTrunc}
	}
	fctx := format.Context{Output: c.Out(), Format: format.Format(statsFormat(o.format)), Trunc: !o.noTrunc}
	render := func() error {
		rows := make([]any, len(entries))
		for i, e := range entries {
			rows[i] = statsRow{e}
		}
		return fctx.Write(statsHeader, rows)
	}

	if o.noStream {
		var wg sync.WaitGroup
		errs := make([]error, len(names))
		for i, n := range names {
			wg.Go(func() {
				res, err := c.Client().ContainerStats(ctx, n, client.ContainerStatsOptions{IncludePreviousSample: true})
				if err != nil {
					errs[i] = err
					return
				}
				defer res.Body.Close()
				var s container.StatsResponse
				if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
					errs[i] = err
					return
				}
				e := entryFromStats(&s)
				e.Container, e.trunc = n, !o.noTrunc
				entries[i] = e
			})
		}
		wg.Wait()
		// Named containers that do not exist are errors, as in docker.
		for _, err := range errs {
			if err != nil && len(args) > 0 {
				return err
			}
		}
		return render()
	}

	var mu sync.Mutex
	failed := make(chan error, len(names))
	for i, n := range names {
		go func() {
			res, err := c.Client().ContainerStats(ctx, n, client.ContainerStatsOptions{Stream: true})
			if err != nil {
				failed <- err
				return
			}
			defer res.Body.Close()
			dec := json.NewDecoder(res.Body)
			for {
				var s container.StatsResponse
				if err := dec.Decode(&s); err != nil {
					if !errors.Is(err, io.EOF) && ctx.Err() == nil {
						mu.Lock()
						entries[i].err = err
						mu.Unlock()
					}
					return
				}
				e := entryFromStats(&s)
				e.Container, e.trunc = n, !o.noTrunc
				mu.Lock()
				entries[i] = e
				mu.Unlock()
			}
		}()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-failed:
			if len(args) > 0 {
				return err
			}
		case <-tick.C:
			if c.Out().IsTerminal() {
				fmt.Fprint(c.Out(), "\033[2J\033[H") // redraw in place
			}
			mu.Lock()
			err := render()
			mu.Unlock()
			if err != nil {
				return err
			}
		}
	}
}
