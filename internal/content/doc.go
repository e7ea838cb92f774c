// Package content is tug's content-addressed blob store: every blob lives at
// <root>/blobs/sha256/<hex> and becomes visible only after its digest (and
// size, when known) has been verified, by an atomic rename from <root>/ingest.
package content
