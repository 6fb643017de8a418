package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/itchyny/gojq"

	"github.com/kcloud/kcloud/internal/fail"
)

// compileJQ checks a --jq program before anything is asked or changed: a
// program that does not parse is a usage error (exit 2).
func compileJQ(expr string) error {
	_, err := compiledJQ(expr)
	return err
}

func compiledJQ(expr string) (*gojq.Code, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fail.Usagef("--jq: %v", err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fail.Usagef("--jq: %v", err)
	}
	return code, nil
}

// The bounds of a --jq program (security rule 13): gojq has none of its
// own, and `[range(1e9)]` or `[limit(1e8; repeat(.))]` would take the
// machine's memory, `"x" * 1e9` a gigabyte in one step. The program runs
// in a process of its own (jq_child.go), with a deadline, a watch on the
// heap it grows, a cap on what it prints, and, where the system has one,
// a limit on its memory that no single step passes; past any of them it
// stops (exit 1), having printed what it printed.
// (Variables, so that a test can make one of them the one that stops
// a program, whatever the machine's speed.)
var (
	jqTimeout   = 2 * time.Second
	jqHeapLimit = uint64(256 << 20)
	jqOutputMax = 16 << 20
)

// jqRequest is what a --jq process is given on its standard input.
type jqRequest struct {
	Program string          `json:"program"`
	Input   json.RawMessage `json:"input"`
	Timeout time.Duration   `json:"timeout"`
	Heap    uint64          `json:"heap"`
	Output  int             `json:"output"`
}

// jqAnswer is what a --jq process that did not finish says on its
// standard error: which bound stopped it, or gojq's error.
type jqAnswer struct {
	Stopped string `json:"stopped,omitempty"` // "time", "memory" or "output"
	Error   string `json:"error,omitempty"`
}

// writeJQ runs the --jq program on doc's JSON in a process of its own,
// the kcloud binary again (jqChildArg), which writes each result on a
// line: strings as they are (escaped for the terminal), the rest as JSON,
// as gh does. doc reaches it on a pipe, never in its arguments: it may
// hold a secret (`otp begin -o json`).
func writeJQ(w io.Writer, expr string, doc any) error {
	input, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	req := jqRequest{Program: expr, Input: input, Timeout: jqTimeout, Heap: jqHeapLimit, Output: jqOutputMax}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fail.Wrap(fail.Other, err, "--jq: its process did not start")
	}
	// The process keeps its own deadline; this one is for a single step
	// that holds it past it.
	ctx, cancel := context.WithTimeout(context.Background(), req.Timeout+time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, jqChildArg)
	cmd.Stdin = bytes.NewReader(body)
	cmd.Stdout = w
	var report bytes.Buffer
	cmd.Stderr = &capped{w: &report, n: 64 << 10}
	err = cmd.Run()
	var exit *exec.ExitError
	var answer jqAnswer
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		answer.Stopped = "time"
	case !errors.As(err, &exit):
		return fail.Wrap(fail.Other, err, "--jq: its process did not start")
	case json.Unmarshal(report.Bytes(), &answer) == nil && (answer.Stopped != "" || answer.Error != ""):
	case interrupted(exit):
		return fail.ErrInterrupted
	default:
		// Ended by the system, or by Go's runtime out of memory: the
		// memory limit (jq_limit_*.go) is the one bound that does that.
		answer.Stopped = "memory"
	}
	var cause error
	switch answer.Stopped {
	case "":
		return fail.Otherf("--jq: %v", answer.Error)
	case "time":
		cause = fail.Errorf("ran longer than %s", req.Timeout)
	case "output":
		cause = fail.Errorf("printed more than %s", bytesInWords(req.Output))
	default:
		cause = fail.Errorf("used more than %s of memory", bytesInWords(int(req.Heap)))
	}
	return fail.Otherf("--jq: the program %v, and was stopped", cause)
}

// interrupted reports whether the process ended on Ctrl-C or a
// request to stop (it shares the terminal's process group).
func interrupted(exit *exec.ExitError) bool {
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && (ws.Signal() == syscall.SIGINT || ws.Signal() == syscall.SIGTERM)
}

// capped writes to w at most n bytes, and drops the rest.
type capped struct {
	w io.Writer
	n int
}

func (c *capped) Write(p []byte) (int, error) {
	if k := min(len(p), c.n); k > 0 {
		c.w.Write(p[:k])
		c.n -= k
	}
	return len(p), nil
}

// bytesInWords is n bytes as "16 MiB" or "1024 bytes".
func bytesInWords(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
