// Package system is the API router for the daemon-wide routes: /_ping,
// /version, /info and the /events stream. It translates requests to Backend
// calls and holds no engine logic.
package system
