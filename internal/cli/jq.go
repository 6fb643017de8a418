package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/metrics"
	"time"

	"github.com/itchyny/gojq"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/text"
)

func compileJQ(expr string) (*gojq.Code, error) {
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
// machine's memory. The program runs with a deadline, a watch on the
// heap it grows, and a cap on what it prints; past any of them it stops
// (exit 1), having printed what it printed.
// (Variables, so that a test can make one of them the one that stops
// a program, whatever the machine's speed.)
var (
	jqTimeout   = 2 * time.Second
	jqHeapLimit = uint64(256 << 20)
	jqOutputMax = 16 << 20
)

// writeJQ runs the compiled expression on doc's JSON and writes each
// result on a line: strings as they are (escaped for the terminal), the
// rest as JSON, as gh does.
func writeJQ(w io.Writer, code *gojq.Code, doc any) error {
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	timeout, heap, outMax := jqTimeout, jqHeapLimit, jqOutputMax // read once, here
	timer := time.AfterFunc(timeout, func() { cancel(fail.Errorf("ran longer than %s", timeout)) })
	defer timer.Stop()
	defer watchHeap(cancel, heap)()
	stopped := func() error {
		return fail.Otherf("--jq: the program %v, and was stopped", context.Cause(ctx))
	}
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
			return fail.Otherf("--jq: %v", x)
		case string:
			line = append([]byte(text.Escape(x)), '\n')
		default:
			b, err := gojq.Marshal(x)
			if err != nil {
				return fail.Otherf("--jq: %v", err)
			}
			line = append(text.EscapeQuoted(b), '\n')
		}
		if written += len(line); written > outMax {
			cancel(fail.Errorf("printed more than %s", bytesInWords(outMax)))
			return stopped()
		}
		w.Write(line)
	}
}

// bytesInWords is n bytes as "16 MiB" or "1024 bytes".
func bytesInWords(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// watchHeap cancels once the heap has grown by more than limit since the
// call; the returned func stops the watch.
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
					cancel(fail.Errorf("used more than %s of memory", bytesInWords(int(limit))))
					return
				}
			}
		}
	}()
	return func() { close(done) }
}
