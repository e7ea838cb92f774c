package container

// exitRecord is the last exit (or failed start) of a container, numbered,
// so that a waiter sees every exit even when a restart follows at once.
type exitRecord struct {
	seq  uint64
	code int
	err  string // a failed start's error
}

// recordExit numbers a new exit. Call with the lock held.
func (c *Container) recordExit(code int, err string) {
	c.exit = exitRecord{seq: c.exit.seq + 1, code: code, err: err}
}
