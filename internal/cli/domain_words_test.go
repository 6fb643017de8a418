package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/fail"
)

// TestNoCommandsInTheDomain: the domain says what happened; which command
// helps is the command line's to say (hints.go, noticeNext), so no
// string in internal/account names one (issue 36, item 5).
func TestNoCommandsInTheDomain(t *testing.T) {
	root, _ := newRoot(&IOStreams{})
	var names []string
	for _, c := range root.Commands() {
		names = append(names, regexp.QuoteMeta(c.Name()))
	}
	command := regexp.MustCompile(`"[^"\n]*\bkcloud (` + strings.Join(names, "|") + `)[ )"'.,;:]`) // not a hash's label ("kcloud session\x00")
	files, err := filepath.Glob("../account/*.go")
	if err != nil || len(files) < 20 {
		t.Fatalf("%d files: %v", len(files), err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range command.FindAllString(string(b), -1) {
			t.Errorf("%s names a command: %s", f, m)
		}
	}
}

// TestNoticeSaysWhatToDo: a notice of an event that leaves the person
// unable to log in as before says which command helps, in the account's
// language.
func TestNoticeSaysWhatToDo(t *testing.T) {
	what := fail.Message{Format: "your password was reset by the admin %s, and your authenticator apps and recovery codes removed; every session ended", Args: []any{"alice"}}
	for lang, want := range map[string]string{"en": "Set a new password with kcloud account recover --reset-code", "ko": "kcloud account recover --reset-code를 실행해"} {
		n := noticeMessage(account.Notice{To: "bob@example.com", UserID: "bob", Event: account.EvMemberPWReset, What: what, Language: lang})
		if !strings.Contains(n.Body, want) {
			t.Errorf("%s: the notice lacks %q:\n%s", lang, want, n.Body)
		}
		if sms := smsNotice(account.Notice{To: "+821012345678", Phone: true, UserID: "bob", Event: account.EvMemberPWReset, What: what, Language: lang}); !strings.Contains(sms.Body, want) {
			t.Errorf("%s: the SMS lacks %q:\n%s", lang, want, sms.Body)
		}
	}
}

// TestDocsIndexLinksEveryPage: docs/README.md links every page of docs/.
func TestDocsIndexLinksEveryPage(t *testing.T) {
	index, err := os.ReadFile("../../docs/README.md")
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := filepath.Glob("../../docs/*.md")
	if len(pages) < 10 {
		t.Fatalf("%d pages", len(pages))
	}
	for _, p := range pages {
		if b := filepath.Base(p); b != "README.md" && !strings.Contains(string(index), "("+b+")") {
			t.Errorf("docs/README.md does not link %s", b)
		}
	}
}
