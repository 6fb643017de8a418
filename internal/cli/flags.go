package cli

import (
	"errors"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kcloud/kcloud/internal/fail"
)

// errTakesNoValue: a flag of no value was given one (--reset-code=CODE).
var errTakesNoValue = errors.New("the flag takes no value")

// noValue is a flag that is given or not and takes no value, not even
// true or false: the secret it asks for is read from the terminal, and a
// value typed after it (--reset-code=CODE) is refused without being
// repeated (flagValueError).
type noValue struct{ set *bool }

func (v noValue) String() string { return "" }

// Type is bool's, so help and completion show it without a value.
func (v noValue) Type() string { return "bool" }

func (v noValue) Set(s string) error {
	if s != noValueGiven {
		return errTakesNoValue
	}
	*v.set = true
	return nil
}

// noValueGiven is what pflag sets a flag of no value to when it is given
// alone: bool's, so that help shows no value (--reset-code=true is taken
// too; it is no secret).
const noValueGiven = "true"

// noValueFlag is a flag named name of no value that sets *p.
func noValueFlag(p *bool, name, usage string) *pflag.Flag {
	return &pflag.Flag{Name: name, Usage: usage, Value: noValue{p}, NoOptDefVal: noValueGiven}
}

// noArgsSaid is cobra.NoArgs without repeating the argument: after a flag
// of no value (--reset-code CODE), the argument is a secret.
func noArgsSaid(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fail.Usagef("%s takes no arguments (a code is asked for, never given on the command line)", cmd.CommandPath())
	}
	return nil
}
