package logger

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/docker/go-units"
)

// Rotation limits a json-file log (Docker's max-size and max-file log
// options). The zero value means no rotation.
type Rotation struct {
	MaxSize  int64 // bytes a file may hold before it is rotated; <= 0: no rotation
	MaxFiles int   // files kept, the current one included (<log>, <log>.1 ... <log>.(MaxFiles-1)); < 1 means 1
}

// CRIDriver is the log driver of CRI containers (their LogConfig.Type,
// with the kubelet's path in Config["path"]): FormatCRI, not rotated by
// tug. The Engine API cannot ask for it.
const CRIDriver = "cri"

// validOpts are the log options Docker's json-file driver accepts: true
// for those tug implements; the others add attributes Docker writes into
// each record, which tug's records do not carry, so they are refused.
var validOpts = map[string]bool{
	"max-size": true, "max-file": true, "compress": true,
	"labels": false, "labels-regex": false, "env": false, "env-regex": false, "tag": false,
}

// ParseOptions validates the json-file log options (a container's
// HostConfig.LogConfig.Config, or daemon.json log-opts) and returns the
// rotation they ask for.
func ParseOptions(opts map[string]string) (Rotation, error) {
	for k := range opts {
		implemented, known := validOpts[k]
		switch {
		case !known:
			return Rotation{}, fmt.Errorf("unknown log opt '%s' for json-file log driver", k)
		case !implemented:
			return Rotation{}, fmt.Errorf("log opt '%s' is not supported by tug's json-file log driver: its records carry no attributes", k)
		}
	}
	var r Rotation
	if s, ok := opts["max-size"]; ok {
		n, err := units.FromHumanSize(s)
		if err != nil {
			return Rotation{}, fmt.Errorf("max-size: %w", err)
		}
		if n <= 0 {
			return Rotation{}, errors.New("max-size must be a positive number")
		}
		r.MaxSize = n
	}
	r.MaxFiles = 1
	if s, ok := opts["max-file"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			return Rotation{}, fmt.Errorf("max-file: invalid number '%s'", s)
		}
		if n < 1 {
			return Rotation{}, errors.New("max-file cannot be less than 1")
		}
		// Without max-size there is nothing to rotate, as in Docker,
		// which accepts max-file alone.
		r.MaxFiles = n
	}
	if s, ok := opts["compress"]; ok {
		c, err := strconv.ParseBool(s)
		if err != nil {
			return Rotation{}, fmt.Errorf("compress: invalid boolean '%s'", s)
		}
		if c {
			return Rotation{}, errors.New("compress is not supported by tug's json-file log driver")
		}
	}
	return r, nil
}
