package events

import (
	"testing"
	"time"

	apievents "github.com/moby/moby/api/types/events"
)

func TestPublishSubscribe(t *testing.T) {
	b := New()
	start := time.Now().Add(-time.Second)
	b.Publish(apievents.ContainerEventType, apievents.ActionCreate, "c1", nil)
	_, live, cancel := b.Subscribe(time.Time{}, time.Time{}, nil)
	b.Publish(apievents.ContainerEventType, apievents.ActionStart, "c1", map[string]string{"name": "x"})
	select {
	case m := <-live:
		if m.Action != apievents.ActionStart || m.Actor.ID != "c1" || m.Actor.Attributes["name"] != "x" {
			t.Errorf("live event = %+v", m)
		}
	case <-time.After(time.Second):
		t.Fatal("no live event")
	}
	cancel()
	cancel()
	if _, ok := <-live; ok {
		t.Errorf("channel open after cancel")
	}
	past, _, cancel2 := b.Subscribe(start, time.Time{}, func(m apievents.Message) bool { return m.Action == apievents.ActionCreate })
	defer cancel2()
	if len(past) != 1 || past[0].Action != apievents.ActionCreate {
		t.Errorf("past = %+v, want the create event", past)
	}
}

func TestSlowSubscriberDropped(t *testing.T) {
	b := New()
	_, live, cancel := b.Subscribe(time.Time{}, time.Time{}, nil)
	defer cancel()
	for i := 0; i < subscriber+10; i++ {
		b.Publish(apievents.ContainerEventType, apievents.ActionDie, "c", nil)
	}
	n := 0
	for range live {
		n++
	}
	if n != subscriber {
		t.Errorf("slow subscriber got %d events before close, want %d", n, subscriber)
	}
}
