// Package events is the daemon's event bus: publishers never block,
// subscribers get a bounded channel, and a ring of recent events answers
// `events --since`.
package events
