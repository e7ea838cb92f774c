package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// The warm shim's side of Pool: `tug-shim shim --warm [label] "" ...`
// waits for its job on jobFd, takes on the command line a cold shim would
// show, and goes on as a cold shim with the job's flags.

// awaitJob blocks until the pool hands this warm shim its job. It returns
// false when the job pipe ends without one: the pool is closed or tugd is
// gone, and the shim exits.
func awaitJob() (shimJob, bool, error) {
	f := os.NewFile(jobFd, "job")
	defer f.Close() // not inherited by the container or the monitor
	line, err := readJobLine(f)
	if errors.Is(err, io.EOF) && len(line) == 0 {
		return shimJob{}, false, nil
	}
	if err != nil {
		return shimJob{}, false, fmt.Errorf("read the job: %w", err)
	}
	var job shimJob
	if err := json.Unmarshal(line, &job); err != nil {
		return shimJob{}, false, fmt.Errorf("shim job: %w", err)
	}
	return job, true, nil
}

// readJobLine reads up to the first newline.
func readJobLine(r io.Reader) ([]byte, error) {
	var line []byte
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		line = append(line, buf[:n]...)
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			return line[:i], nil
		}
		if err != nil {
			return line, err
		}
	}
}

// takeJob gives this warm shim, as far as there is room, the command line
// of a cold shim with the job's flags, in the background: it takes
// 0.1-0.2 ms, spent while the container's creation waits for its init. It
// returns the flags.
func takeJob(job shimJob) []string {
	argv := append([]string{strings.Clone(os.Args[0]), "shim"}, job.Args...)
	os.Args = argv
	go func() { _ = setCmdline(argv) }() // cosmetic: ps goes on showing `shim --warm` if it fails
	return job.Args
}

// setCmdline writes argv over this process's command line (what ps and
// /proc/PID/cmdline show), in the room the kernel gave the original one;
// what does not fit is cut. The original strings are overwritten: os.Args
// must no longer be used (Go's os.Args point into that memory).
func setCmdline(argv []string) error {
	start, end, err := argArea()
	if err != nil {
		return err
	}
	room := int(end - start)
	if room <= 1 {
		return errors.New("no room for a command line")
	}
	b := make([]byte, room) // NUL-filled: the padding ps does not show
	copy(b[:room-1], strings.Join(argv, "\x00"))
	f, err := os.OpenFile("/proc/self/mem", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteAt(b, int64(start))
	return err
}

// argArea is where the kernel put this process's argv strings
// (/proc/self/stat: arg_start and arg_end, fields 48 and 49).
func argArea() (start, end uint64, err error) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("/proc/self/stat: no comm")
	}
	fields := strings.Fields(string(b[i+1:])) // from field 3 (state) on
	const argStart = 48 - 3
	if len(fields) <= argStart+1 {
		return 0, 0, errors.New("/proc/self/stat: no arg_start")
	}
	if start, err = strconv.ParseUint(fields[argStart], 10, 64); err != nil {
		return 0, 0, err
	}
	if end, err = strconv.ParseUint(fields[argStart+1], 10, 64); err != nil {
		return 0, 0, err
	}
	if end <= start {
		return 0, 0, errors.New("/proc/self/stat: empty argument area")
	}
	return start, end, nil
}
