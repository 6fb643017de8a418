package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManPages: every committed page is titled with its own command and
// has the sections a manual page is expected to have (CI checks that the
// committed pages are what gendocs writes).
func TestManPages(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join("..", "..", "..", "docs", "man", "*.1"))
	if err != nil || len(pages) < 20 {
		t.Fatalf("%d pages: %v", len(pages), err)
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		title := strings.ToUpper(strings.TrimSuffix(filepath.Base(p), ".1"))
		if !strings.Contains(page, `.TH "`+strings.ReplaceAll(title, "-", `\-`)+`" "1"`) &&
			!strings.Contains(page, `.TH "`+title+`" "1"`) {
			t.Errorf("%s is not titled %s", p, title)
		}
		for _, s := range []string{".SH NAME", ".SH SYNOPSIS", ".SH EXAMPLES", ".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH FILES"} {
			if !strings.Contains(page, s+"\n") {
				t.Errorf("%s has no %s section", p, strings.TrimPrefix(s, ".SH "))
			}
		}
	}
}
