package config

import (
	"bytes"
	"errors"
	"io"
	"net/mail"
	"os"
	"strings"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/perm"
	"github.com/kcloud/kcloud/internal/text"
)

// MaxFileSize bounds the configuration file, and MaxDepth how deep its
// mappings and lists nest (security rule 13): kcloud's own keys are five
// deep, and a file of a few kilobytes holds every one of them. Both are
// checked before the YAML is decoded, whose cost grows with both.
const (
	MaxFileSize = 64 << 10
	MaxDepth    = 16
)

// readBounded reads the configuration file, refusing one larger than
// MaxFileSize or nested deeper than MaxDepth.
func readBounded(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fail.Errorf("larger than %d KiB; kcloud's configuration fits in a few", MaxFileSize>>10)
	}
	if d := yamlDepth(data); d > MaxDepth {
		return nil, fail.Errorf("nested %d or more levels deep; kcloud's keys are at most 5", d)
	}
	return data, nil
}

// yamlDepth estimates how deep YAML text nests, without decoding it:
// block nesting by indentation (each deeper indent of a line opens a
// level) plus flow nesting by brackets outside quotes. It may count too
// deep for odd but valid YAML, never too shallow for what a decoder
// would build.
func yamlDepth(data []byte) int {
	var indents []int
	deepest, flow := 0, 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		trimmed := bytes.TrimLeft(line, " -")
		if len(bytes.TrimSpace(trimmed)) == 0 || trimmed[0] == '#' {
			continue
		}
		if flow == 0 { // inside brackets, indentation means nothing
			indent := len(line) - len(trimmed)
			for len(indents) > 0 && indents[len(indents)-1] >= indent {
				indents = indents[:len(indents)-1]
			}
			indents = append(indents, indent)
		}
		quote := byte(0)
	scan:
		for i, c := range trimmed {
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '#' && i > 0 && (trimmed[i-1] == ' ' || trimmed[i-1] == '\t'):
				break scan // a comment
			case c == '{' || c == '[':
				flow++
			case c == '}' || c == ']':
				flow = max(flow-1, 0)
			}
			deepest = max(deepest, len(indents)+flow)
		}
		deepest = max(deepest, len(indents)+flow)
	}
	return deepest
}

func checkFile(file string) error {
	err := perm.Check(file, false)
	var p *perm.Problem
	if errors.As(err, &p) {
		return fail.Wrap(fail.Other, p, "refusing the configuration file %s", file)
	}
	return nil // a file that cannot be read is reported by the reader
}

// checkFrom accepts an address as a From header may carry it ("kcloud
// <kcloud@example.com>" or the bare address), and nothing that could
// end the header line or reach a terminal raw.
func checkFrom(from string) error {
	if err := text.CheckConfigured(from, 254); err != nil {
		return err
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return fail.Errorf("%q is not an email address", from)
	}
	if strings.ContainsAny(a.Address, " \t\"<>") {
		return fail.Errorf("%q is not an email address", from)
	}
	return nil
}
