package content

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/tug-project/tug/internal/errdefs"
)

func TestPutGetDelete(t *testing.T) {
	ctx := context.Background()
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("hello blob")
	want := digest.FromBytes(data)

	tests := []struct {
		name     string
		expected digest.Digest
		size     int64
		wantErr  bool
	}{
		{"computed", "", -1, false},
		{"verified", want, int64(len(data)), false},
		{"wrong digest", digest.FromString("other"), -1, true},
		{"wrong size", "", 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.Delete(ctx, want)
			got, n, err := s.Put(ctx, bytes.NewReader(data), tt.expected, tt.size)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Put() = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if !errors.Is(err, errdefs.ErrInvalidParameter) {
					t.Fatalf("Put() = %v, want ErrInvalidParameter", err)
				}
				if s.Exists(ctx, want) {
					t.Fatalf("Exists() = true after failed Put")
				}
				return
			}
			if got != want || n != int64(len(data)) {
				t.Fatalf("Put() = %v, %d, want %v, %d", got, n, want, len(data))
			}
			b, err := s.Get(ctx, want)
			if err != nil || !bytes.Equal(b, data) {
				t.Fatalf("Get() = %q, %v", b, err)
			}
		})
	}
	entries, _ := os.ReadDir(filepath.Join(s.root, "ingest"))
	if len(entries) != 0 {
		t.Fatalf("ingest has %d leftovers", len(entries))
	}
	if _, err := s.PutBytes(ctx, data); err != nil {
		t.Fatal(err)
	}
	var walked []digest.Digest
	if err := s.Walk(ctx, func(d digest.Digest, _ int64) error { walked = append(walked, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(walked) != 1 || walked[0] != want {
		t.Fatalf("Walk() = %v, want [%v]", walked, want)
	}
	if err := s.Delete(ctx, want); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, want); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Open() after Delete = %v, want ErrNotFound", err)
	}
}

func TestWriterCloseDiscards(t *testing.T) {
	ctx := context.Background()
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(w, strings.NewReader("partial"))
	w.Close()
	entries, _ := os.ReadDir(filepath.Join(s.root, "ingest"))
	if len(entries) != 0 {
		t.Fatalf("ingest has %d leftovers", len(entries))
	}
	if s.Exists(ctx, digest.FromString("partial")) {
		t.Fatal("uncommitted blob visible")
	}
}
