package cli

import (
	"encoding/json"
	"fmt"
	"io"

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
	iter := code.Run(v)
	for {
		x, ok := iter.Next()
		if !ok {
			return nil
		}
		switch x := x.(type) {
		case error:
			return fail.Otherf("--jq: %v", x)
		case string:
			fmt.Fprintln(w, text.Escape(x))
		default:
			b, err := gojq.Marshal(x)
			if err != nil {
				return fail.Otherf("--jq: %v", err)
			}
			w.Write(append(text.EscapeQuoted(b), '\n'))
		}
	}
}
