package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Networking metrics: throughput and connection rate to a container's
// HTTP server (busybox httpd) through a port published on 127.0.0.1 and,
// for tug, straight to the container's address on tug's bridge. Docker's
// published port on 127.0.0.1 goes through its userland docker-proxy, so
// the tug/docker columns also compare kernel DNAT with a userland proxy.
// Traffic goes only to 127.0.0.1 and to addresses on tug's own bridges.

const (
	netFileMB     = 32  // size of the file fetched for throughput
	netRounds     = 10  // turns of each path: a fetch of the file (the median counts) and a batch of connections
	netConns      = 300 // sequential connections for the connection rate, over all rounds
	netHTTPScript = "mkdir -p /www && echo hello > /www/index.html && dd if=/dev/zero of=/www/big bs=1048576 count=%d 2>/dev/null && exec httpd -f -p 80 -h /www"
)

// netTarget is a running web container: its published address, and its
// own address when it is on a tug bridge.
type netTarget struct {
	published, direct string
}

func (b *bench) startWeb(ctx context.Context, e *engine) (netTarget, func(), error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return netTarget{}, nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	name := b.prefix + "-web"
	e.track(name)
	if _, err := e.run(ctx, nil, "run", "-d", "--name", name, "-p", fmt.Sprintf("127.0.0.1:%d:80", port), e.image,
		"sh", "-c", fmt.Sprintf(netHTTPScript, netFileMB)); err != nil {
		return netTarget{}, nil, err
	}
	stop := func() { _ = e.removeContainers(context.WithoutCancel(ctx), []string{name}) }
	t := netTarget{published: fmt.Sprintf("127.0.0.1:%d", port)}
	if e.name == "tug" {
		ip, err := e.run(ctx, nil, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", name)
		if err != nil {
			stop()
			return netTarget{}, nil, err
		}
		t.direct = ip + ":80"
	}
	// Wait for httpd and the file.
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := fetch(ctx, "http://"+t.published+"/big")
		if err == nil && n == netFileMB<<20 {
			break
		}
		if time.Now().After(deadline) {
			stop()
			return netTarget{}, nil, fmt.Errorf("web container not serving on %s: %v (%d bytes)", t.published, err, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return t, stop, nil
}

var netClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}

func fetch(ctx context.Context, url string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := netClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.Copy(io.Discard, resp.Body)
}

// netPath is one address measured: an engine's published port or tug's
// direct path, with its samples.
type netPath struct {
	addr      string
	fetches   []time.Duration // of the big file
	connTime  time.Duration   // of the connections made so far
	conns     int
	err       error
	mbs, rate *cell
}

// measureRound fetches the big file once and makes netConns/netRounds
// connections.
func (p *netPath) measureRound(ctx context.Context) {
	if p.err != nil {
		return
	}
	start := time.Now()
	n, err := fetch(ctx, "http://"+p.addr+"/big")
	if err == nil && n != netFileMB<<20 {
		err = fmt.Errorf("short read: %d bytes", n)
	}
	if err != nil {
		p.err = err
		return
	}
	p.fetches = append(p.fetches, time.Since(start))
	start = time.Now()
	for range netConns / netRounds {
		if _, err := fetch(ctx, "http://"+p.addr+"/index.html"); err != nil {
			p.err = err
			return
		}
		p.conns++
	}
	p.connTime += time.Since(start)
}

// networkRows measures both engines' published ports, and tug's direct
// path for reference. Both engines' web servers run at once and the
// paths are measured in turns (a fetch of the big file and a batch of
// connections each, netRounds times), so that the load of the machine,
// which comes and goes, weighs on all of them alike.
func (b *bench) networkRows(ctx context.Context) []row {
	type result struct {
		pubMBs, pubConns, dirMBs, dirConns cell
	}
	var res [2]result
	var paths []*netPath
	var stops []func()
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	tug, dock := b.each(ctx, func(e *engine) cell {
		progress("%s: starting the web container (busybox httpd, %d MB file)", e.name, netFileMB)
		t, stop, err := b.startWeb(ctx, e)
		if err != nil {
			return b.fail(err)
		}
		stops = append(stops, stop)
		r := &res[b.index(e)]
		paths = append(paths, &netPath{addr: t.published, mbs: &r.pubMBs, rate: &r.pubConns})
		if t.direct != "" {
			paths = append(paths, &netPath{addr: t.direct, mbs: &r.dirMBs, rate: &r.dirConns})
		} else {
			r.dirMBs = cell{text: "n/a (not a tug bridge)"}
			r.dirConns = r.dirMBs
		}
		return cell{ok: true}
	})
	progress("network: %d rounds over %d paths in turns (a %d MB fetch and %d connections each)", netRounds, len(paths), netFileMB, netConns/netRounds)
	for range netRounds {
		for _, p := range paths {
			p.measureRound(ctx)
		}
	}
	for _, p := range paths {
		if p.err != nil {
			*p.mbs = b.fail(p.err)
			*p.rate = *p.mbs
			continue
		}
		v := float64(netFileMB) / summarize(p.fetches).median.Seconds()
		*p.mbs = cell{text: fmt.Sprintf("%.0f MB/s", v), val: v, ok: true}
		v = float64(p.conns) / p.connTime.Seconds()
		*p.rate = cell{text: fmt.Sprintf("%.0f conn/s", v), val: v, ok: true}
	}
	for i, c := range []cell{tug, dock} {
		if !c.ok {
			res[i] = result{c, c, c, c}
		}
	}
	ratio := func(t, d cell) string {
		if t.ok && d.ok && d.val > 0 {
			return fmt.Sprintf("tug/docker %.2fx", t.val/d.val)
		}
		return ""
	}
	vs := func(pub, dir cell) string {
		if pub.ok && dir.ok && dir.val > 0 {
			return fmt.Sprintf("published/direct %.2f", pub.val/dir.val)
		}
		return ""
	}
	return []row{
		{metric: "HTTP throughput via 127.0.0.1 published port", goal: "tug ≥ docker (DNAT vs docker-proxy)",
			tug: res[0].pubMBs, docker: res[1].pubMBs, ratio: ratio(res[0].pubMBs, res[1].pubMBs),
			verdict: verdictIf(res[0].pubMBs, !res[1].pubMBs.ok || res[0].pubMBs.val >= res[1].pubMBs.val)},
		{metric: "HTTP connection rate via 127.0.0.1 published port", goal: "tug ≥ docker",
			tug: res[0].pubConns, docker: res[1].pubConns, ratio: ratio(res[0].pubConns, res[1].pubConns),
			verdict: verdictIf(res[0].pubConns, !res[1].pubConns.ok || res[0].pubConns.val >= res[1].pubConns.val)},
		{metric: "HTTP throughput to the container's address (tug bridge)", goal: "reference",
			tug: res[0].dirMBs, docker: res[1].dirMBs, ratio: vs(res[0].pubMBs, res[0].dirMBs), verdict: "-"},
		{metric: "HTTP connection rate to the container's address (tug bridge)", goal: "reference",
			tug: res[0].dirConns, docker: res[1].dirConns, ratio: vs(res[0].pubConns, res[0].dirConns), verdict: "-"},
	}
}

func verdictIf(c cell, pass bool) string {
	if !c.ok {
		return verdict(c, false)
	}
	return strings.TrimSpace(verdict(c, pass))
}
