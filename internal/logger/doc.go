// Package logger is the json-file log driver in Docker's exact format: one
// JSON object per line, {"log":"hi\n","stream":"stdout","time":"..."}.
// The shim writes logs with File and LineWriter; the daemon reads them back
// with Read (stream filter, tail, since/until, follow). With Docker's
// max-size/max-file options (ParseOptions) the file rotates to <log>.1 ...
// <log>.(max-file-1); Read spans the rotated files and follows across
// rotations.
package logger
