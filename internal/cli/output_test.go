package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/text"
)

// hostile holds what a tampered store could hand the output: names that
// input checks would have refused.
func hostilePage() (*account.View, *account.Organization) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	a := &account.View{UserID: "alice", UUID: "u", Name: "Eve\x1b]8;;http://x\x07link\x1b]8;;\x07",
		Nickname: "rtl\u202egnp", RegisteredAt: now,
		Email: &account.Contact{Address: "a@b.c\u009b2J", VerifiedAt: now}}
	o := &account.Organization{ID: "o", Name: "Org\x7f\x1b[2J\xff"}
	return a, o
}

func TestOutputsEscapeHostileStrings(t *testing.T) {
	a, o := hostilePage()
	for _, format := range []string{"json", "yaml"} {
		var buf bytes.Buffer
		if err := writeDoc(&buf, format, newPageDoc(a, o)); err != nil {
			t.Fatal(err)
		}
		assertSafe(t, format, buf.String())
	}
	var buf bytes.Buffer
	tb := newTable(&buf)
	writePage(tb, tr{}, a, o)
	tb.flush()
	assertSafe(t, "text", buf.String())
	if !strings.Contains(buf.String(), `Eve\x1b]8;;http://x\x07link`) {
		t.Errorf("text output does not show the escape plainly:\n%s", buf.String())
	}
}

func assertSafe(t *testing.T, format, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if !text.Safe(strings.ReplaceAll(line, "\t", " ")) {
			t.Errorf("%s output has a line unsafe for a terminal: %q", format, line)
		}
	}
}

// TestYAMLIsTheJSONDocument: both decode to the same values, hostile
// strings included, in the same key order.
func TestYAMLIsTheJSONDocument(t *testing.T) {
	a, o := hostilePage()
	a.LastLoginAt = nil
	doc := newPageDoc(a, o)
	var js, ys bytes.Buffer
	writeDoc(&js, "json", doc)
	writeDoc(&ys, "yaml", doc)
	var fromJSON, fromYAML any
	if err := json.Unmarshal(js.Bytes(), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(ys.Bytes(), &fromYAML); err != nil {
		t.Fatalf("%v\n%s", err, ys.String())
	}
	// YAML reads 0 as an int, JSON as a float64: compare as JSON reads.
	again, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	fromYAML = nil
	if err := json.Unmarshal(again, &fromYAML); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, fromYAML) {
		t.Fatalf("JSON and YAML differ:\n%s\n%s", js.String(), ys.String())
	}
	if !strings.HasPrefix(ys.String(), "user_id: alice\nuser_uuid: u\nname: ") {
		t.Fatalf("YAML keys are not in the document's order:\n%s", ys.String())
	}
	// Strings that look like other types stay strings.
	ys.Reset()
	writeDoc(&ys, "yaml", map[string]string{"a": "true", "b": "null", "c": "0123", "d": ""})
	var m map[string]any
	if err := yaml.Unmarshal(ys.Bytes(), &m); err != nil || len(m) != 4 {
		t.Fatalf("the YAML does not read back (%v): %v\n%s", err, m, ys.String())
	}
	for k, v := range m {
		if _, ok := v.(string); !ok {
			t.Errorf("%s = %#v in\n%s", k, v, ys.String())
		}
	}
}

func TestExitCodes(t *testing.T) {
	wrapped := fmt.Errorf("reading: %w", fail.Busyf("busy"))
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("plain"), 1},
		{fail.Otherf("x"), 1},
		{fail.Usagef("x"), 2},
		{fail.Authf("x"), 3},
		{fail.Lockedf("x"), 4},
		{fail.LoginRequiredf("x"), 5},
		{wrapped, 6},
		{fail.ErrInterrupted, 130},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestJQAndYAMLTables: the builtins gojq defines in jq and in Go, and
// yaml's float and sexagesimal rules, as --jq and -o yaml rely on them.
func TestJQAndYAMLTables(t *testing.T) {
	// jq builtins of both kinds: defined in jq (map, select, to_entries)
	// and in Go (length, ascii_downcase, keys).
	prog := `([.[] | select(. > 1)] | map(. * 2) | length), (to_entries | length), ({"A": 1} | keys | map(ascii_downcase))`
	if err := compileJQ(prog); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := writeJQ(&out, prog, []int{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "2\n3\n[\"a\"]\n" {
		t.Fatalf("jq builtins: %q", got)
	}
	// YAML: a string that reads as a sexagesimal or a float is quoted;
	// a plain float reads as a number.
	ys, err := yaml.Marshal(map[string]any{"clock": "1:20", "float": "1.5e3"})
	if err != nil || string(ys) != "clock: \"1:20\"\nfloat: \"1.5e3\"\n" {
		t.Fatalf("yaml quoting: %q %v", ys, err)
	}
	var v map[string]any
	if err := yaml.Unmarshal([]byte("f: 1.5e3\n"), &v); err != nil || v["f"] != 1500.0 {
		t.Fatalf("yaml float: %v %v", v, err)
	}
}
