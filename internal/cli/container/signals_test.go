package container

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// received sends sig to this process until the proxy's channel yields it
// (a signal sent before it is caught is ignored: Go drops the real-time
// ones nobody asked for), or gives up after a few seconds.
func received(p *signalProxy, sig syscall.Signal) bool {
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	_ = syscall.Kill(os.Getpid(), sig)
	for {
		select {
		case s := <-p.sigc:
			if s == sig {
				return true
			}
		case <-tick.C:
			_ = syscall.Kill(os.Getpid(), sig)
		case <-deadline:
			return false
		}
	}
}

func TestSignalProxyCatchesStandardSignalsByWaitAndRealtimeOnesLater(t *testing.T) {
	p := catchAllSignals()
	defer p.stop()
	p.wait()
	// Caught by wait: sent once, it must arrive.
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-p.sigc:
		if s != syscall.SIGUSR1 {
			t.Errorf("caught %v, want SIGUSR1", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SIGUSR1 sent after wait was not caught")
	}
	if !received(p, sigrtmin+3) {
		t.Error("SIGRTMIN+3 was never caught")
	}
}
