package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"runtime/metrics"
	"time"

	"github.com/itchyny/gojq"

	"github.com/kcloud/kcloud/internal/text"
)

// jqChildArg, as kcloud's only argument, makes it the process of a --jq
// program (writeJQ): it reads a jqRequest on its standard input, writes
// the results on its standard output and, when a bound stops the
// program or gojq fails, a jqAnswer on its standard error (exit 1). It
// reads no configuration and no store.
const jqChildArg = "__kcloud-jq"

// jqMemoryBase is what the process may map beyond twice the heap limit:
// Go's runtime and the program's input.
const jqMemoryBase = 128 << 20

// runJQChild is the --jq process.
func runJQChild(in io.Reader, out, errOut io.Writer) int {
	var req jqRequest
	if err := json.NewDecoder(io.LimitReader(in, 1<<30)).Decode(&req); err != nil {
		return answerJQ(errOut, jqAnswer{Error: err.Error()})
	}
	limitMemory(2*req.Heap + jqMemoryBase)
	code, err := compiledJQ(req.Program)
	if err != nil {
		return answerJQ(errOut, jqAnswer{Error: err.Error()})
	}
	var v any
	if err := json.Unmarshal(req.Input, &v); err != nil {
		return answerJQ(errOut, jqAnswer{Error: err.Error()})
	}
	w := bufio.NewWriterSize(out, 64<<10)
	answer := runJQ(w, code, v, req)
	if err := w.Flush(); err != nil && answer == nil {
		answer = &jqAnswer{Error: err.Error()}
	}
	if answer != nil {
		return answerJQ(errOut, *answer)
	}
	return 0
}

func answerJQ(w io.Writer, a jqAnswer) int {
	json.NewEncoder(w).Encode(a)
	return 1
}

// jqStop is the bound that stopped a program, as a context's cause.
type jqStop string

func (s jqStop) Error() string { return string(s) }

// runJQ runs code on v within req's bounds, and says why it stopped, if
// it did not finish.
func runJQ(w io.Writer, code *gojq.Code, v any, req jqRequest) *jqAnswer {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	timer := time.AfterFunc(req.Timeout, func() { cancel(jqStop("time")) })
	defer timer.Stop()
	defer watchHeap(cancel, req.Heap)()
	stopped := func() *jqAnswer { return &jqAnswer{Stopped: context.Cause(ctx).Error()} }
	iter := code.RunWithContext(ctx, v)
	written := 0
	for {
		x, ok := iter.Next()
		if !ok {
			if ctx.Err() != nil {
				return stopped()
			}
			return nil
		}
		var line []byte
		switch x := x.(type) {
		case error:
			if ctx.Err() != nil {
				return stopped()
			}
			return &jqAnswer{Error: x.Error()}
		case string:
			line = append([]byte(text.Escape(x)), '\n')
		default:
			b, err := gojq.Marshal(x)
			if err != nil {
				return &jqAnswer{Error: err.Error()}
			}
			line = append(text.EscapeQuoted(b), '\n')
		}
		if written += len(line); written > req.Output {
			return &jqAnswer{Stopped: "output"}
		}
		w.Write(line)
	}
}

// watchHeap cancels once the heap has grown by more than limit since the
// call; the returned func stops the watch. It bounds a program that
// grows step by step; one step that asks for more at once meets the
// process's memory limit (limitMemory), where the system has one.
func watchHeap(cancel context.CancelCauseFunc, limit uint64) func() {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				metrics.Read(sample)
				if sample[0].Value.Uint64() > base+limit {
					cancel(jqStop("memory"))
					return
				}
			}
		}
	}()
	return func() { close(done) }
}
