package distribution

import (
	"io"
	"time"

	"github.com/tug-project/tug/internal/snapshot/overlay"
	"github.com/tug-project/tug/internal/trace"
)

// traceLayer records where the time of one layer's download went
// ($TUG_TRACE, for the bench): the stream from the first byte requested
// to the verified blob, and within it the time each part of the pipeline
// was busy. The parts run at once (the network and the blob file feed the
// decompressor, which runs ahead of the extraction), so each is a span
// from the stream's start as long as the part's own time, and they
// overlap.
func traceLayer(start, committing, end time.Time, net, blob time.Duration, u *overlay.Unpacked) {
	trace.Add("pull: layer stream (download, verify, unpack, sync)", start, committing)
	trace.Add("pull:   network (waiting for the registry)", start, start.Add(net))
	trace.Add("pull:   blob file (hash, write)", start, start.Add(blob))
	if u != nil {
		trace.Add("pull:   decompress", start, start.Add(u.Stats.Decompress))
		trace.Add("pull:   extract (tar, diffID hash, file writes)", start, start.Add(u.Stats.Extract))
		trace.Add("pull:   syncfs", start, start.Add(u.Sync))
	}
	trace.Add("pull: blob commit (fsync, rename)", committing, end)
}

// timedReader adds up the time its reads take.
type timedReader struct {
	r    io.Reader
	took time.Duration
}

func (t *timedReader) Read(p []byte) (int, error) {
	start := time.Now()
	n, err := t.r.Read(p)
	t.took += time.Since(start)
	return n, err
}

// timedWriter adds up the time its writes take.
type timedWriter struct {
	w    io.Writer
	took time.Duration
}

func (t *timedWriter) Write(p []byte) (int, error) {
	start := time.Now()
	n, err := t.w.Write(p)
	t.took += time.Since(start)
	return n, err
}
