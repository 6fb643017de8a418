package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kcloud/kcloud/internal/i18n"
)

// qpsPO is a pseudo-language's catalogue (qps, as pseudo-localization's
// tag): a few messages, enough to see each place a language reaches.
const qpsPO = `
msgid "User ID"
msgstr "[Ûšéŕ ÎĐ]"

msgid "Session ends"
msgstr "[Šéššîöñ éñðš]"

msgid "Show who is logged in, to which organization, and until when"
msgstr "[Šĥöŵ ŵĥö]"

msgid "the language must be one of %s, not %q"
msgstr "[ľåñĝûåĝé: %s; %q]"
`

// TestNewLanguageIsOneEntry: a language added to the registry, with its
// catalogue and its way of writing times, is accepted by ui.language and
// by a locale, speaks in help, tables and errors, writes its times, and
// can be an account's language, with nothing else changed (issue 36,
// item 4).
func TestNewLanguageIsOneEntry(t *testing.T) {
	stamp := func(t time.Time) string { return fmt.Sprintf("<%d>", t.Unix()) }
	undo := i18n.Register(&i18n.Language{Tag: "qps", Catalog: i18n.NewCatalog(qpsPO), Minutes: stamp, Notice: stamp,
		Value: func(c *i18n.Catalog, arg any) any {
			if tm, ok := arg.(time.Time); ok {
				return stamp(tm)
			}
			return arg
		}})
	defer undo()
	initStore(t)

	t.Setenv("KCLOUD_UI_LANGUAGE", "qps")
	out := mustKC(t, "", "whoami")
	if !strings.Contains(out, "[Ûšéŕ ÎĐ]") || !strings.Contains(out, "[Šéššîöñ éñðš]") || !strings.Contains(out, "<") {
		t.Errorf("whoami in qps:\n%s", out)
	}
	if out := mustKC(t, "", "whoami", "--help"); !strings.Contains(out, "[Šĥöŵ ŵĥö]") {
		t.Errorf("whoami --help in qps:\n%s", out)
	}
	code, _, errOut := kc(t, testPassword+"\n", "account", "set", "--language", "xx", "--password-stdin")
	if code != ExitUsage || !strings.Contains(errOut, "[ľåñĝûåĝé: en, ko, qps;") {
		t.Errorf("a language kcloud does not speak: exit %d\n%s", code, errOut)
	}
	mustKC(t, testPassword+"\n", "account", "set", "--language", "qps", "--password-stdin")

	t.Setenv("KCLOUD_UI_LANGUAGE", "")
	t.Setenv("LC_ALL", "qps_XA.UTF-8")
	if out := mustKC(t, "", "whoami"); !strings.Contains(out, "[Ûšéŕ ÎĐ]") {
		t.Errorf("whoami under LC_ALL=qps_XA.UTF-8:\n%s", out)
	}
	t.Setenv("LC_ALL", "C")
	if out := mustKC(t, "", "__complete", "--ui-language", ""); !strings.Contains(out, "qps") {
		t.Errorf("--ui-language does not complete qps:\n%s", out)
	}
}
