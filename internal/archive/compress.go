package archive

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/tug-project/tug/internal/errdefs"
)

// Compression is a layer stream's compression.
type Compression int

// The compressions Detect recognises.
const (
	Uncompressed Compression = iota
	Gzip
	Zstd
	Bzip2
	Xz
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	case Bzip2:
		return "bzip2"
	case Xz:
		return "xz"
	}
	return "uncompressed"
}

// Detect sniffs the compression from the first bytes of a stream.
func Detect(b []byte) Compression {
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b, 0x08}):
		return Gzip
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return Zstd
	case bytes.HasPrefix(b, []byte{0x42, 0x5a, 0x68}):
		return Bzip2
	case bytes.HasPrefix(b, []byte{0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}):
		return Xz
	}
	return Uncompressed
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// DecompressStream returns the decompressed form of r, sniffing gzip, zstd
// and bzip2 by their magic; anything else is passed through unchanged.
func DecompressStream(r io.Reader) (io.ReadCloser, Compression, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(10)
	if err != nil && err != io.EOF {
		return nil, Uncompressed, err
	}
	c := Detect(head)
	switch c {
	case Gzip:
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, c, err
		}
		return gz, c, nil
	case Zstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(0))
		if err != nil {
			return nil, c, err
		}
		return readCloser{zr, func() error { zr.Close(); return nil }}, c, nil
	case Bzip2:
		return io.NopCloser(bzip2.NewReader(br)), c, nil
	case Xz:
		return nil, c, fmt.Errorf("xz-compressed layers are not supported: %w", errdefs.ErrNotImplemented)
	}
	return io.NopCloser(br), c, nil
}
