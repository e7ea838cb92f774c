package builder

import (
	"fmt"
	"sync"
)

// orderedOutput shows the output of stages built in parallel as if they
// ran one after the other: the earliest unfinished stage streams live,
// later ones are held until the stages before them finish.
type orderedOutput struct {
	out Output

	mu    sync.Mutex
	order []int // stage indexes in output order
	cur   int   // position in order of the stage streaming live
	held  map[int][]string
	done  map[int]bool
}

func newOrderedOutput(out Output, order []int) *orderedOutput {
	return &orderedOutput{out: out, order: order, held: map[int][]string{}, done: map[int]bool{}}
}

// write shows s for stage.
func (o *orderedOutput) write(stage int, s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cur < len(o.order) && o.order[o.cur] == stage {
		o.out.Stream(s)
		return
	}
	o.held[stage] = append(o.held[stage], s)
}

// finish marks stage as done and lets the next stages stream.
func (o *orderedOutput) finish(stage int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.done[stage] = true
	for o.cur < len(o.order) && o.done[o.order[o.cur]] {
		o.cur++
		if o.cur < len(o.order) {
			next := o.order[o.cur]
			for _, s := range o.held[next] {
				o.out.Stream(s)
			}
			delete(o.held, next)
		}
	}
}

// flushAll shows everything still held, in order.
func (o *orderedOutput) flushAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for ; o.cur < len(o.order); o.cur++ {
		for _, s := range o.held[o.order[o.cur]] {
			o.out.Stream(s)
		}
		delete(o.held, o.order[o.cur])
	}
}

// direct writes outside any stage (after all of them).
func (o *orderedOutput) direct(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.out.Stream(s)
}

// stageWriter is an io.Writer for one stage's output (RUN's stdout and stderr).
type stageWriter struct {
	o     *orderedOutput
	stage int
}

func (w stageWriter) Write(p []byte) (int, error) {
	w.o.write(w.stage, string(p))
	return len(p), nil
}

func (w stageWriter) printf(format string, args ...any) {
	w.o.write(w.stage, fmt.Sprintf(format, args...))
}
