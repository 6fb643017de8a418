package cli

import (
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set by the release build with -ldflags "-X ...".
var (
	version = ""
	commit  = ""
	date    = ""
)

// buildInfo returns version, commit and date: those the release build
// set, else what the Go toolchain recorded in the binary.
func buildInfo() (v, c, d string) {
	v, c, d = version, commit, date
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && c == "":
				c = s.Value
			case s.Key == "vcs.time" && d == "":
				d = s.Value
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return v, c, d
}

func versionString() string {
	v, c, d := buildInfo()
	s := v
	if c != "" {
		s += " (commit " + shortCommit(c)
		if d != "" {
			s += ", built " + d
		}
		s += ")"
	}
	return s
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show kcloud's version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v, c, d := buildInfo()
			return f.print(struct {
				Version string  `json:"version"`
				Commit  *string `json:"commit"`
				Date    *string `json:"date"`
				Go      string  `json:"go"`
			}{v, stringOrNil(c), stringOrNil(d), runtime.Version()}, func(t *table) {
				fmtLine(f.IO.Out, "kcloud %s %s/%s %s", versionString(), runtime.GOOS, runtime.GOARCH, runtime.Version())
			})
		},
	}
}
