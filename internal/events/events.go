package events

import (
	"sync"
	"time"

	apievents "github.com/moby/moby/api/types/events"
)

const (
	ringSize   = 1024
	subscriber = 256 // buffered events per subscriber before it is dropped
)

// Bus fans events out to subscribers and remembers the most recent ones.
type Bus struct {
	mu   sync.Mutex
	ring []apievents.Message
	next int
	full bool
	subs map[chan apievents.Message]struct{}
}

// New returns an empty bus.
func New() *Bus {
	return &Bus{ring: make([]apievents.Message, ringSize), subs: map[chan apievents.Message]struct{}{}}
}

// Publish records an event about actor and sends it to every subscriber.
// A subscriber too slow to keep up is disconnected, never waited for.
func (b *Bus) Publish(typ apievents.Type, action apievents.Action, id string, attrs map[string]string) {
	now := time.Now()
	m := apievents.Message{
		Type:     typ,
		Action:   action,
		Actor:    apievents.Actor{ID: id, Attributes: attrs},
		Scope:    "local",
		Time:     now.Unix(),
		TimeNano: now.UnixNano(),
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ring[b.next] = m
	b.next = (b.next + 1) % ringSize
	if b.next == 0 {
		b.full = true
	}
	for ch := range b.subs {
		select {
		case ch <- m:
		default:
			delete(b.subs, ch)
			close(ch)
		}
	}
}

// Subscribe returns the remembered events accepted by match with time in
// [since, until] (zero bounds are open) and, when until is zero, a channel
// of future events; cancel closes it.
func (b *Bus) Subscribe(since, until time.Time, match func(apievents.Message) bool) (past []apievents.Message, live <-chan apievents.Message, cancel func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !since.IsZero() {
		n := b.next
		if !b.full {
			n = 0
		}
		for i := 0; i < ringSize; i++ {
			m := b.ring[(n+i)%ringSize]
			if m.TimeNano == 0 {
				continue
			}
			t := time.Unix(0, m.TimeNano)
			if t.Before(since) || (!until.IsZero() && t.After(until)) {
				continue
			}
			if match == nil || match(m) {
				past = append(past, m)
			}
		}
	}
	if !until.IsZero() && until.Before(time.Now()) {
		return past, nil, func() {}
	}
	ch := make(chan apievents.Message, subscriber)
	b.subs[ch] = struct{}{}
	var once sync.Once
	return past, ch, func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if _, ok := b.subs[ch]; ok {
				delete(b.subs, ch)
				close(ch)
			}
		})
	}
}
