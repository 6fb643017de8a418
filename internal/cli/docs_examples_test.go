package cli

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestScriptingDocAccountShow: the account show -o json that
// docs/scripting.md calls exact has the program's keys, at every level
// (issue 42 item 2: it had drifted a round behind).
func TestScriptingDocAccountShow(t *testing.T) {
	doc, err := os.ReadFile("../../docs/scripting.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "`account show -o json` is exactly")
	if !ok {
		t.Fatal("docs/scripting.md no longer shows account show -o json")
	}
	_, block, _ := strings.Cut(after, "```json\n")
	block, _, _ = strings.Cut(block, "```")
	var want map[string]any
	if err := json.Unmarshal([]byte(block), &want); err != nil {
		t.Fatalf("the example does not parse: %v\n%s", err, block)
	}
	initStore(t)
	var got map[string]any
	if err := json.Unmarshal([]byte(mustKC(t, testPassword+"\n", "account", "show", "--password-stdin", "-o", "json")), &got); err != nil {
		t.Fatal(err)
	}
	sameKeys(t, "", want, got)
}

// sameKeys fails where the objects a (the example) and b (the program)
// do not have the same keys; an object in one and null in the other is
// fine (a contact not verified), and so are lists' elements.
func sameKeys(t *testing.T, at string, a, b map[string]any) {
	t.Helper()
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		slices.Sort(k)
		return k
	}
	if ka, kb := keys(a), keys(b); !slices.Equal(ka, kb) {
		t.Fatalf("%s: the example has the keys %v; the program %v", "."+at, ka, kb)
	}
	for k, v := range a {
		if va, ok := v.(map[string]any); ok {
			if vb, ok := b[k].(map[string]any); ok {
				sameKeys(t, at+"."+k, va, vb)
			}
		}
	}
}
