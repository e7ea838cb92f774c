package procsig

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// SigCgt's bit n-1 says whether signal n has a handler.
func TestStatusReadsTheNameAndSigCgtMask(t *testing.T) {
	st, err := parse([]byte("Name:\ttop\nUmask:\t0022\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000004002\n"))
	if err != nil || st.Name != "top" {
		t.Fatalf("parse = %+v, %v", st, err)
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		want bool
	}{{syscall.SIGTERM, true}, {syscall.SIGINT, true}, {syscall.SIGHUP, false}, {syscall.SIGKILL, false}} {
		if got := st.Catches(tc.sig); got != tc.want {
			t.Errorf("Catches(%v) = %v, want %v", tc.sig, got, tc.want)
		}
	}
	if _, err := parse([]byte("Name:\tx\n")); err == nil {
		t.Error("a status without SigCgt has no error")
	}
}

// A handler this process installs shows in its own status.
func TestReadSeesThisProcessesHandler(t *testing.T) {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGUSR2)
	st, err := Read(os.Getpid())
	if err != nil || !st.Catches(syscall.SIGUSR2) || st.Name == "" {
		t.Errorf("Read(self) = %+v, %v; want SIGUSR2 caught and a name", st, err)
	}
}
