package limits

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tug-project/tug/internal/testutil"
)

// The stats JSON decodes into moby's types, and its values move under
// load: CPU time grows, memory and pids are counted, precpu is filled.
func TestStatsAPIValuesMove(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("run", "-d", "--name", "busy", "--network", "none", "-m", "64m", "busybox", "sh", "-c", "while :; do :; done"); r.ExitCode != 0 {
		t.Fatalf("run: %s", r)
	}
	ctx := context.Background()
	res, err := d.Client.ContainerStats(ctx, "busy", client.ContainerStatsOptions{IncludePreviousSample: true})
	if err != nil {
		t.Fatal(err)
	}
	var s container.StatsResponse
	err = json.NewDecoder(res.Body).Decode(&s)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "/busy" || s.ID == "" {
		t.Errorf("id %q name %q", s.ID, s.Name)
	}
	cpu, pre := s.CPUStats, s.PreCPUStats
	if cpu.CPUUsage.TotalUsage <= pre.CPUUsage.TotalUsage || cpu.SystemUsage <= pre.SystemUsage || cpu.OnlineCPUs == 0 {
		t.Errorf("cpu %+v precpu %+v: want CPU time growing between the samples", cpu, pre)
	}
	pct := float64(cpu.CPUUsage.TotalUsage-pre.CPUUsage.TotalUsage) / float64(cpu.SystemUsage-pre.SystemUsage) * float64(cpu.OnlineCPUs) * 100
	if pct < 50 {
		t.Errorf("CPU %% of a busy loop = %.1f, want about 100", pct)
	}
	if s.MemoryStats.Usage == 0 || s.MemoryStats.Limit != 64<<20 {
		t.Errorf("memory %+v: want usage > 0, limit 64 MiB", s.MemoryStats)
	}
	if s.PidsStats.Current < 1 {
		t.Errorf("pids %+v, want >= 1", s.PidsStats)
	}

	// A stream: one sample a second, CPU time growing.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err = d.Client.ContainerStats(sctx, "busy", client.ContainerStatsOptions{Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	var first, second container.StatsResponse
	if err := dec.Decode(&first); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&second); err != nil {
		t.Fatal(err)
	}
	if second.CPUStats.CPUUsage.TotalUsage <= first.CPUStats.CPUUsage.TotalUsage || second.PreCPUStats.CPUUsage.TotalUsage != first.CPUStats.CPUUsage.TotalUsage {
		t.Errorf("stream: first %d, second %d (pre %d): want growing CPU time and precpu = previous", first.CPUStats.CPUUsage.TotalUsage,
			second.CPUStats.CPUUsage.TotalUsage, second.PreCPUStats.CPUUsage.TotalUsage)
	}
}

// stats --no-stream prints Docker's columns, from tug and from docker.
func TestStatsCLI(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("run", "-d", "--name", "hog", "--network", "none", "--cpus", "0.5", "busybox", "sh", "-c", "while :; do :; done"); r.ExitCode != 0 {
		t.Fatalf("run: %s", r)
	}
	if r := d.Tug("run", "-d", "--name", "idle", "--network", "none", "busybox", "sleep", "1000"); r.ExitCode != 0 {
		t.Fatalf("run: %s", r)
	}
	for _, c := range d.CLIs() {
		t.Run(c.Name, func(t *testing.T) {
			r := c.Run("", "stats", "--no-stream")
			lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
			if r.ExitCode != 0 || len(lines) != 3 {
				t.Fatalf("stats = %s, want a header and 2 rows", r)
			}
			for _, col := range []string{"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"} {
				if !strings.Contains(lines[0], col) {
					t.Errorf("header %q lacks %q", lines[0], col)
				}
			}
			r = c.Run("", "stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.PIDs}}", "hog")
			f := strings.Fields(r.Stdout)
			if len(f) != 3 || f[0] != "hog" || f[2] != "1" {
				t.Fatalf("stats hog = %s", r)
			}
			pct, _ := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64)
			if pct < 30 || pct > 70 {
				t.Errorf("CPU %% under --cpus 0.5 = %v, want about 50", pct)
			}
		})
	}
}

// stats without names follows the daemon, as docker's does: a container
// started while it runs is shown, and goes again once it has stopped.
func TestStatsStreamFollowsStartedAndStoppedContainers(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.ImportBusybox("busybox")
	if r := d.Tug("run", "-d", "--name", "first", "--network", "none", "busybox", "sleep", "1000"); r.ExitCode != 0 {
		t.Fatalf("run: %s", r)
	}
	cmd := d.TugCmd("stats", "--format", "table {{.Name}}")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lastRender := func() string { // the rows after the last complete header
		renders := strings.Split(out.String(), "NAME\n")
		if len(renders) < 3 {
			return ""
		}
		return renders[len(renders)-2]
	}
	shows := func(want string) func() bool {
		return func() bool { return slices.Contains(strings.Fields(lastRender()), want) }
	}
	testutil.Eventually(t, 20*time.Second, shows("first"))
	if r := d.Tug("run", "-d", "--name", "late", "--network", "none", "busybox", "sleep", "1000"); r.ExitCode != 0 {
		t.Fatalf("run: %s", r)
	}
	if !testutil.WaitFor(20*time.Second, shows("late")) {
		t.Fatalf("a container started after stats began is not shown:\n%s", lastRender())
	}
	if r := d.Tug("stop", "-t", "0", "late"); r.ExitCode != 0 {
		t.Fatalf("stop: %s", r)
	}
	if !testutil.WaitFor(20*time.Second, func() bool { return !shows("late")() && shows("first")() }) {
		t.Fatalf("a stopped container is still shown, or the running one is not:\n%s", lastRender())
	}
}

// lockedBuffer is a bytes.Buffer a running command writes while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
