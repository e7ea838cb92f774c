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

// validOpts are the log options Docker's json-file driver accepts. Those
// other than max-size, max-file and compress only add attributes Docker
// would write into each record; tug accepts and ignores them.
var validOpts = map[string]bool{
	"max-size": true, "max-file": true, "compress": true,
	"labels": true, "labels-regex": true, "env": true, "env-regex": true, "tag": true,
}

// ParseOptions validates the json-file log options (a container's
// HostConfig.LogConfig.Config, or daemon.json log-opts) and returns the
// rotation they ask for.
func ParseOptions(opts map[string]string) (Rotation, error) {
	for k := range opts {
		if !validOpts[k] {
			return Rotation{}, fmt.Errorf("unknown log opt '%s' for json-file log driver", k)
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
		if r.MaxSize == 0 {
			return Rotation{}, errors.New("max-file cannot be set without max-size")
		}
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
