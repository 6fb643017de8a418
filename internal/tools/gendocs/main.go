// gendocs writes kcloud's shell completions, man pages and markdown
// reference from the cobra tree. Run by `go generate ./...`; the output is
// committed, and CI fails if it differs from what this writes.
//
//	gendocs ROOT
package main

import (
	"bytes"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/kcloud/kcloud/internal/cli"
)

// date is the man pages' date: fixed, so that the output depends only on
// the command tree. Change it with the command tree's releases.
var date = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: gendocs ROOT")
	}
	root := os.Args[1]
	cmd := cli.NewCommand()
	cmd.InitDefaultHelpCmd()
	cmd.InitDefaultCompletionCmd() // cobra adds both only when it runs

	comp := filepath.Join(root, "completions")
	must(os.MkdirAll(comp, 0o755))
	must(cmd.GenBashCompletionFileV2(filepath.Join(comp, "kcloud.bash"), true))
	must(cmd.GenZshCompletionFile(filepath.Join(comp, "_kcloud")))
	must(cmd.GenFishCompletionFile(filepath.Join(comp, "kcloud.fish"), true))
	must(cmd.GenPowerShellCompletionFileWithDesc(filepath.Join(comp, "kcloud.ps1")))

	man := filepath.Join(root, "docs", "man")
	ref := filepath.Join(root, "docs", "reference")
	for _, dir := range []string{man, ref} {
		must(os.RemoveAll(dir)) // no page outlives its command
		must(os.MkdirAll(dir, 0o755))
	}
	must(genMan(cmd, man))
	must(doc.GenMarkdownTree(cmd, ref))
}

// genMan writes a page for cmd and each command below it, as
// doc.GenManTree does, but titled with the command's own name and with
// the sections every page shares: EXIT STATUS, ENVIRONMENT, FILES.
func genMan(cmd *cobra.Command, dir string) error {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := genMan(c, dir); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	err := doc.GenMan(cmd, &doc.GenManHeader{Section: "1", Date: &date, Source: "kcloud", Manual: "kcloud manual"}, &buf)
	if err != nil {
		return err
	}
	page := strings.Replace(buf.String(), ".SH EXAMPLE\n", ".SH EXAMPLES\n", 1)
	extra := cli.ManSections()
	if i := strings.Index(page, ".SH SEE ALSO"); i >= 0 {
		page = page[:i] + extra + "\n" + page[i:]
	} else {
		page += "\n" + extra
	}
	name := strings.ReplaceAll(cmd.CommandPath(), " ", "-") + ".1"
	return os.WriteFile(filepath.Join(dir, name), []byte(page), 0o644)
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
