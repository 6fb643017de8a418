package cli

import (
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Set by the release build with -ldflags "-X ...".
var (
	version = ""
	commit  = ""
	date    = ""
)

// build is what kcloud knows of its build.
type build struct {
	version, commit string
	date            string // the build's, set by the release build
	commitDate      string // the commit's, recorded by the Go toolchain
}

// buildInfo returns what the release build set, else what the Go
// toolchain recorded in the binary. The toolchain records the commit's
// time, not the build's: it is labelled as such.
func buildInfo() build {
	b := build{version: version, commit: commit, date: date}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.version == "" && bi.Main.Version != "" {
			b.version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && b.commit == "":
				b.commit = s.Value
			case s.Key == "vcs.time":
				b.commitDate = s.Value
			}
		}
	}
	if b.version == "" {
		b.version = "(devel)"
	}
	return b
}

// versionLine is the first line of both `kcloud version` and
// `kcloud --version`.
func versionLine() string {
	b := buildInfo()
	s := "kcloud " + b.version
	var about []string
	if b.commit != "" {
		about = append(about, "commit "+shortCommit(b.commit))
	}
	if b.date != "" {
		about = append(about, "built "+b.date)
	} else if b.commitDate != "" {
		about = append(about, "committed "+b.commitDate)
	}
	if len(about) > 0 {
		s += " (" + strings.Join(about, ", ") + ")"
	}
	return s + " " + runtime.GOOS + "/" + runtime.GOARCH + " " + runtime.Version()
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

func newVersionCmd(f *Factory) *cobra.Command {
	o := &versionOptions{deps: f.deps()}
	return &cobra.Command{
		Use:   "version",
		Short: "Show kcloud's version, commit and build date",
		Example: `  kcloud version
  kcloud version -o json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, o, versionRun) },
	}
}

type versionOptions struct {
	deps
}

func versionRun(o *versionOptions) error {
	f := &o.deps
	b := buildInfo()
	return f.print(struct {
		Version    string  `json:"version"`
		Commit     *string `json:"commit"`
		Date       *string `json:"date"`
		CommitDate *string `json:"commit_date"`
		Go         string  `json:"go"`
	}{b.version, stringOrNil(b.commit), stringOrNil(b.date), stringOrNil(b.commitDate), runtime.Version()}, func(t *table) {
		fmtLine(f.IO.Out, "%s", versionLine())
	})
}
