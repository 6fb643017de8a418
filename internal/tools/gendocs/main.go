// gendocs writes kcloud's shell completions, man pages and markdown
// reference from the cobra tree. Run by `go generate ./...`; the output is
// committed, and CI fails if it differs from what this writes.
//
//	gendocs ROOT
package main

import (
	"log"
	"os"
	"path/filepath"
	"time"

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
	must(doc.GenManTree(cmd, &doc.GenManHeader{
		Title: "KCLOUD", Section: "1", Date: &date, Source: "kcloud", Manual: "kcloud manual",
	}, man))
	must(doc.GenMarkdownTree(cmd, ref))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
