package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
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
	fctx := format.Context{Output: c.Out(), Format: format.Format(statsFormat(o.format)), Trunc: !o.noTrunc}
	render := func(entries []statsEntry) error {
		rows := make([]any, len(entries))
		for i, e := range entries {
			rows[i] = statsRow{e}
		}
		return fctx.Write(statsHeader, rows)
	}
	if o.noStream {
		names := args
		if len(names) == 0 {
			ids, err := listForStats(ctx, c, o.all)
			if err != nil {
				return err
			}
			names = ids
		}
		entries, err := sampleOnce(ctx, c, names, !o.noTrunc)
		if err != nil && len(args) > 0 { // named containers that do not exist are errors, as in docker
			return err
		}
		return render(entries)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	live := &liveStats{c: c, trunc: !o.noTrunc, entries: map[string]*statsEntry{}, stop: map[string]context.CancelFunc{}, failed: make(chan error, 1)}
	var evs client.EventsResult
	if len(args) == 0 {
		// Without names, the set follows the daemon as docker's does:
		// containers that start (with -a, are created) join it, those
		// that die (with -a, are removed) leave it. Subscribed before the
		// listing, so none is missed between the two.
		f := make(client.Filters).Add("type", "container").Add("event", "start", "die", "destroy")
		if o.all {
			f = f.Add("event", "create")
		}
		evs = c.Client().Events(ctx, client.EventsListOptions{Filters: f})
		ids, err := listForStats(ctx, c, o.all)
		if err != nil {
			return err
		}
		args = ids
	}
	for _, n := range args {
		live.add(ctx, n)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-live.failed:
			if evs.Messages == nil { // named containers
				return err
			}
		case m := <-evs.Messages:
			switch m.Action {
			case events.ActionCreate, events.ActionStart:
				live.add(ctx, m.Actor.ID)
			case events.ActionDie:
				if !o.all {
					live.remove(m.Actor.ID)
				}
			case events.ActionDestroy:
				live.remove(m.Actor.ID)
			}
		case err := <-evs.Err:
			if ctx.Err() == nil && err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			evs.Err = nil
		case <-tick.C:
			if c.Out().IsTerminal() {
				fmt.Fprint(c.Out(), "\033[2J\033[H") // redraw in place
			}
			if err := render(live.snapshot()); err != nil {
				return err
			}
		}
	}
}

// listForStats returns the IDs of the running (with all, every)
// containers.
func listForStats(ctx context.Context, c *command.Cli, all bool) ([]string, error) {
	res, err := c.Client().ContainerList(ctx, client.ContainerListOptions{All: all})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ctr := range res.Items {
		ids = append(ids, ctr.ID)
	}
	return ids, nil
}

// sampleOnce takes one sample (with the previous one, for CPU %) of each
// container; the first error is returned with the entries.
func sampleOnce(ctx context.Context, c *command.Cli, names []string, trunc bool) ([]statsEntry, error) {
	entries := make([]statsEntry, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		entries[i] = statsEntry{Container: n, ID: n, trunc: trunc}
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
			e.Container, e.trunc = n, trunc
			entries[i] = e
		})
	}
	wg.Wait()
	return entries, errors.Join(errs...)
}

// liveStats is the set of containers `stats` streams, in the order they
// joined it, each with its latest figures.
type liveStats struct {
	c       *command.Cli
	trunc   bool
	mu      sync.Mutex
	order   []string
	entries map[string]*statsEntry
	stop    map[string]context.CancelFunc
	failed  chan error // the first stream that could not be opened
}

// add starts streaming the stats of container n, unless it is shown.
func (l *liveStats) add(ctx context.Context, n string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.entries[n]; ok {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	l.order = append(l.order, n)
	l.entries[n] = &statsEntry{Container: n, ID: n, trunc: l.trunc}
	l.stop[n] = cancel
	go l.stream(ctx, n)
}

// remove stops showing container n.
func (l *liveStats) remove(n string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cancel, ok := l.stop[n]; ok {
		cancel()
		delete(l.stop, n)
		delete(l.entries, n)
		l.order = slices.DeleteFunc(l.order, func(s string) bool { return s == n })
	}
}

func (l *liveStats) stream(ctx context.Context, n string) {
	res, err := l.c.Client().ContainerStats(ctx, n, client.ContainerStatsOptions{Stream: true})
	if err != nil {
		select {
		case l.failed <- err:
		default:
		}
		return
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var s container.StatsResponse
		err := dec.Decode(&s)
		l.mu.Lock()
		e, shown := l.entries[n]
		switch {
		case !shown:
		case err != nil:
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				e.err = err
			}
		default:
			*e = entryFromStats(&s)
			e.Container, e.trunc = n, l.trunc
		}
		l.mu.Unlock()
		if err != nil || !shown {
			return
		}
	}
}

// snapshot returns the entries in the order they joined.
func (l *liveStats) snapshot() []statsEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]statsEntry, len(l.order))
	for i, n := range l.order {
		out[i] = *l.entries[n]
	}
	return out
}
