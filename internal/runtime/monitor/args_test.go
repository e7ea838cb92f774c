package monitor

import (
	"reflect"
	"testing"
	"time"

	"github.com/tug-project/tug/internal/logger"
)

// The monitor parses back every setting of the command line the shim
// gives it, the log's and stdio's shared with the shim's own included.
func TestConfigArgsParseBackToTheSameConfig(t *testing.T) {
	for _, cfg := range []Config{
		{ID: "c1", StateDir: "/s", LogPath: "/l", Pid: 7, ExecFifo: "/f", OOMFile: "/o", IdleExit: time.Second,
			StdinFd: -1, StdoutFd: 5, StderrFd: 6, ConsoleFd: -1, ListenFd: 8, ExeFd: 9, LogRotate: logger.Rotation{MaxFiles: 1}},
		{ID: "c2", StateDir: "/s", Pid: 8, IdleExit: -1, StdinFd: 4, StdoutFd: -1, StderrFd: -1, ConsoleFd: 4, ListenFd: 5, ExeFd: 6,
			LogRotate: logger.Rotation{MaxSize: 1 << 20, MaxFiles: 3}, LogFormat: logger.FormatCRI,
			Terminal: true, OpenStdin: true, StdinOnce: true, SharedPidNS: true, Started: true,
			Cgroups: []string{"/sys/fs/cgroup/memory/tug/c2"}},
	} {
		got, err := parse(cfg.Args())
		if err != nil {
			t.Fatalf("parse(%q) = %v", cfg.Args(), err)
		}
		if !reflect.DeepEqual(got, cfg) {
			t.Errorf("parse(Args()) = %+v\nwant %+v", got, cfg)
		}
	}
}
