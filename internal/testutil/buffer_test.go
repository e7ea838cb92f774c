package testutil

import (
	"strings"
	"sync"
	"testing"
)

// TestSafeBuffer writes from several goroutines while reading; run with
// -race, a bytes.Buffer in its place fails.
func TestSafeBuffer(t *testing.T) {
	var b SafeBuffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				_, _ = b.Write([]byte("x"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got, want := b.String(), strings.Repeat("x", 400); got != want || b.Len() != 400 {
		t.Errorf("after 400 writes of x: String() = %d bytes, Len() = %d, want 400", len(got), b.Len())
	}
}
