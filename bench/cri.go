package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// criPods: pods kept running for the memory metric.
const criPods = 5

// criRows measure a one-container pod through tugd's CRI socket, as a
// kubelet makes one (crictl runp, create, start: three calls), and the
// memory a running pod's sandbox takes (the pause process and its shim).
// They run on a tugd of their own, started with --cri-socket. Docker has
// no CRI, and containerd 1.6's CRI cannot start a pod sandbox on this VM
// (DESIGN.md), so the rows are tug's alone.
func (b *bench) criRows(ctx context.Context) []row {
	lat, mem := row{metric: "CRI one-container pod: crictl runp + create + start (median)", goal: "(none yet)"},
		row{metric: fmt.Sprintf("CRI pod sandbox: pause process + its shim, USS / RSS (mean of %d pods)", criPods), goal: "(none yet)"}
	noDocker := cell{text: "no CRI (containerd 1.6's cannot start a sandbox here)"}
	lat.docker, mem.docker = noDocker, noDocker
	lat.verdict, mem.verdict = "n/a (tug only)", "n/a (tug only)"
	s, err := startCRISide(ctx, b.binDir, b.tarball)
	if s != nil {
		defer s.teardown()
	}
	if err != nil {
		c := b.fail(fmt.Errorf("CRI: %w", err))
		lat.tug, mem.tug = c, c
		return []row{lat, mem}
	}
	progress("tug CRI: crictl runp + create + start (%d warm-up + %d runs)", b.warm, b.n)
	var samples []time.Duration
	for i := range b.warm + b.n {
		d, err := s.onePod(ctx, i, true)
		if err != nil {
			lat.tug = b.fail(err)
			break
		}
		if i >= b.warm {
			samples = append(samples, d)
		}
	}
	if len(samples) == b.n {
		l := summarize(samples)
		lat.tug = cell{text: fmt.Sprintf("%.0f ms (p90 %.0f)", ms(l.median), ms(l.p90)), val: ms(l.median), ok: true}
	}
	progress("tug CRI: memory of %d pods", criPods)
	var uss, rss int64
	for i := range criPods {
		if _, err := s.onePod(ctx, 1000+i, false); err != nil {
			mem.tug = b.fail(err)
			return []row{lat, mem}
		}
	}
	pids := findPIDs(func(pid int, argv []string) bool {
		line := strings.Join(argv, " ")
		return (len(argv) == 1 && argv[0] == "/pause" && s.ownsPause(pid)) ||
			(len(argv) > 1 && (argv[1] == "shim" || argv[1] == "monitor") && strings.Contains(line, s.execRoot) && s.isSandboxShim(line))
	})
	for _, pid := range pids {
		u, err1 := ussKB(pid)
		r, err2 := rssKB(pid)
		if err := errors.Join(err1, err2); err != nil {
			mem.tug = b.fail(err)
			return []row{lat, mem}
		}
		uss, rss = uss+u, rss+r
	}
	if len(pids) != 2*criPods {
		mem.tug = b.fail(fmt.Errorf("CRI: found %d pause processes and shims, want %d", len(pids), 2*criPods))
		return []row{lat, mem}
	}
	mem.tug = cell{text: fmt.Sprintf("%.1f / %.1f MB", float64(uss)/criPods/1024, float64(rss)/criPods/1024), val: float64(uss) / criPods / 1024, ok: true}
	return []row{lat, mem, b.criExecRow(ctx, s)}
}

// criExecRow measures `crictl exec CTR true` in a running pod's container:
// the Exec call, then the SPDY session on the streaming server; ExecSync
// (`crictl exec -s`, one gRPC call) alongside.
func (b *bench) criExecRow(ctx context.Context, s *criSide) row {
	r := row{metric: "CRI exec: `crictl exec CTR true` through the streaming server (median; ExecSync `-s` alongside)", goal: "(none yet)",
		docker: cell{text: "no CRI"}, verdict: "n/a (tug only)"}
	ids, err := s.run(ctx, "ps", "-q")
	if err != nil || ids == "" {
		r.tug = b.fail(fmt.Errorf("CRI exec: no running container: %v", err))
		return r
	}
	cid := strings.Fields(ids)[0]
	progress("tug CRI: crictl exec (%d warm-up + %d runs)", b.warm, b.n)
	var stream, sync []time.Duration
	for i := range b.warm + b.n {
		for _, m := range []struct {
			args []string
			into *[]time.Duration
		}{{[]string{"exec", cid, "true"}, &stream}, {[]string{"exec", "-s", cid, "true"}, &sync}} {
			start := time.Now()
			if _, err := s.run(ctx, m.args...); err != nil {
				r.tug = b.fail(err)
				return r
			}
			if i >= b.warm {
				*m.into = append(*m.into, time.Since(start))
			}
		}
	}
	l, ls := summarize(stream), summarize(sync)
	r.tug = cell{text: fmt.Sprintf("%.0f ms (p90 %.0f; -s %.0f)", ms(l.median), ms(l.p90), ms(ls.median)), val: ms(l.median), ok: true}
	return r
}

// criSide is a tugd serving the CRI, with crictl and a CNI network of
// its own (a bridge on a subnet no tug network takes).
type criSide struct {
	dir, execRoot, crictl, cfg string
	daemon                     *daemonProc
	sandboxes                  []string
}

const criBenchBridge = "tugbcri0"

func startCRISide(ctx context.Context, binDir string, tarball []byte) (*criSide, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, "bash", filepath.Join(root, ".ci/cri-tools"), "crictl").Output()
	if err != nil {
		return nil, fmt.Errorf(".ci/cri-tools: %w", err)
	}
	s := &criSide{crictl: filepath.Join(strings.TrimSpace(string(out)), "crictl")}
	if s.dir, err = os.MkdirTemp("", "tugbench-cri-"); err != nil {
		return nil, err
	}
	if s.execRoot, err = os.MkdirTemp("", "tbc"); err != nil {
		return s, err
	}
	cniDir := filepath.Join(s.dir, "cni")
	if err := os.MkdirAll(cniDir, 0o755); err != nil {
		return s, err
	}
	conf := fmt.Sprintf(`{"cniVersion": "1.0.0", "name": "tugbench", "plugins": [{"type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": false,
		"ipam": {"type": "host-local", "ranges": [[{"subnet": "10.231.128.0/24"}]], "dataDir": %q}}]}`, criBenchBridge, filepath.Join(s.dir, "ipam"))
	if err := os.WriteFile(filepath.Join(cniDir, "10-bench.conflist"), []byte(conf), 0o644); err != nil {
		return s, err
	}
	sock := filepath.Join(s.execRoot, "cri.sock")
	host := "unix://" + filepath.Join(s.execRoot, "tug.sock")
	s.cfg = filepath.Join(s.dir, "crictl.yaml")
	if err := os.WriteFile(s.cfg, []byte(fmt.Sprintf("runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 30\n", sock, sock)), 0o644); err != nil {
		return s, err
	}
	s.daemon, err = startDaemon("tugd (CRI)", filepath.Join(s.dir, "tugd.log"), nil, resolve(filepath.Join(binDir, "tugd")),
		"-H", host, "--data-root", filepath.Join(s.dir, "root"), "--exec-root", s.execRoot,
		"--cri-socket", "unix://"+sock, "--cni-conf-dir", cniDir)
	if err != nil {
		return s, err
	}
	if err := waitReady(ctx, s.daemon, 20*time.Second, func() error { _, err := s.run(ctx, "version"); return err }); err != nil {
		return s, err
	}
	imp := exec.CommandContext(ctx, resolve(filepath.Join(binDir, "tug")), "-H", host, "import", "-", "busybox")
	imp.Stdin = bytes.NewReader(tarball)
	if out, err := imp.CombinedOutput(); err != nil {
		return s, fmt.Errorf("tug import: %v: %s", err, out)
	}
	return s, nil
}

func (s *criSide) run(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, s.crictl, append([]string{"--config", s.cfg}, args...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("crictl %s: %v: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// onePod starts pod i with one sleeping busybox container and returns how
// long the three calls took; with remove, it then removes the pod.
func (s *criSide) onePod(ctx context.Context, i int, remove bool) (time.Duration, error) {
	pod := filepath.Join(s.dir, fmt.Sprintf("pod-%d.json", i))
	ctr := filepath.Join(s.dir, "ctr.json")
	if err := os.WriteFile(pod, []byte(fmt.Sprintf(`{"metadata": {"name": "p%d", "namespace": "bench", "uid": "u%d"}, "linux": {}}`, i, i)), 0o644); err != nil {
		return 0, err
	}
	if err := os.WriteFile(ctr, []byte(`{"metadata": {"name": "c"}, "image": {"image": "busybox"}, "command": ["sleep", "1000"], "linux": {}}`), 0o644); err != nil {
		return 0, err
	}
	start := time.Now()
	id, err := s.run(ctx, "runp", pod)
	if err != nil {
		return 0, err
	}
	s.sandboxes = append(s.sandboxes, id)
	cid, err := s.run(ctx, "create", id, ctr, pod)
	if err != nil {
		return 0, err
	}
	if _, err := s.run(ctx, "start", cid); err != nil {
		return 0, err
	}
	d := time.Since(start)
	if remove {
		if _, err := s.run(ctx, "rmp", "-f", id); err != nil {
			return 0, err
		}
		s.sandboxes = s.sandboxes[:len(s.sandboxes)-1]
	}
	return d, nil
}

// ownsPause tells whether pause process pid is one of this side's
// sandboxes (its parent is a shim under this side's exec root).
func (s *criSide) ownsPause(pid int) bool {
	ppid, err := statusField(pid, "PPid")
	if err != nil {
		return false
	}
	var pp int
	fmt.Sscan(ppid, &pp)
	return strings.Contains(strings.Join(cmdline(pp), " "), s.execRoot)
}

func (s *criSide) isSandboxShim(line string) bool {
	for _, id := range s.sandboxes {
		if strings.Contains(line, id) {
			return true
		}
	}
	return false
}

func (s *criSide) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, id := range s.sandboxes {
		_, _ = s.run(ctx, "rmp", "-f", id)
	}
	if s.daemon != nil {
		s.daemon.stop(10 * time.Second)
	}
	_ = exec.Command("ip", "link", "del", criBenchBridge).Run()
	for _, d := range []string{s.execRoot, s.dir} {
		if d != "" {
			_ = removeTree(d)
		}
	}
}
