package fail

import (
	"fmt"
	"strings"
	"time"

	"github.com/kcloud/kcloud/internal/text"
)

// A Language says kcloud's messages to people. Format is a message's
// format in the language (a catalogue's translation, or the format
// itself); Value is an argument as the language's readers write it (a
// time, a duration), or the argument.
type Language interface {
	Format(format string) string
	Value(arg any) any
}

// English is the language kcloud's messages are written in.
var English Language = english{}

type english struct{}

func (english) Format(format string) string { return format }

func (english) Value(arg any) any {
	switch v := arg.(type) {
	case time.Time:
		return text.Time(v)
	case time.Duration:
		return text.Duration(v)
	case Ago:
		return text.Ago(time.Duration(v))
	case Count:
		if v.N == 1 {
			return fmt.Sprintf(v.One, v.N)
		}
		return fmt.Sprintf(v.Many, v.N)
	case Ordinal:
		return ordinal(int(v))
	case Rough:
		return roughly(float64(v))
	}
	return arg
}

// Ago is how long before now something happened, as a message argument:
// "3 minutes ago".
type Ago time.Duration

// Count is a number with its noun, as a message argument: "1 argument",
// "2 arguments". The forms are formats of the number (msgid and
// msgid_plural in a catalogue), so a language with other plural forms
// gives its own.
type Count struct {
	N         int
	One, Many string
}

// Plural is n with the form of its noun: Plural(n, "%d fault", "%d faults").
func Plural(n int, one, many string) Count { return Count{n, one, many} }

// Ordinal is a rank, as a message argument: "1st", "12th".
type Ordinal int

// Rough is a large count said at a glance, as a message argument: "40
// thousand", "3 million".
type Rough float64

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

func roughly(g float64) string {
	switch {
	case g < 1000:
		return fmt.Sprintf("%.0f", g)
	case g < 1e6:
		return fmt.Sprintf("%.0f thousand", g/1e3)
	case g < 1e9:
		return fmt.Sprintf("%.0f million", g/1e6)
	}
	return fmt.Sprintf("%.0f billion", g/1e9)
}

// Message is a text for people kept as its format and arguments, so that
// it can be said in the person's language: a catalogue translates the
// format, and the arguments keep their values (a time.Time, a
// time.Duration, an Ago) until the language writes them.
type Message struct {
	Format string
	Args   []any
}

// In is m in l. An argument that is an error or a Message is said in l
// too.
func (m Message) In(l Language) string {
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		switch v := a.(type) {
		case error:
			args[i] = Say(v, l)
		case Message:
			args[i] = v.In(l)
		case formatArgs:
			format, a := v.FormatArgs()
			args[i] = Message{format, a}.In(l)
		default:
			args[i] = l.Value(a)
		}
	}
	return fmt.Sprintf(strings.ReplaceAll(l.Format(m.Format), "%w", "%v"), args...)
}

// formatArgs is a text for people from a package below this one, which
// cannot name Message (text.Error, text.Word).
type formatArgs interface{ FormatArgs() (string, []any) }

// Messager is an error that says itself as a Message.
type Messager interface {
	error
	Message() Message
}

// Errorf is fmt.Errorf for a text for people: the error wraps what
// fmt.Errorf's would (%w) and keeps its format and arguments, so Say can
// say it in the person's language.
func Errorf(format string, args ...any) error {
	return &msgError{Message{format, args}, fmt.Errorf(format, args...)}
}

type msgError struct {
	m   Message
	err error // fmt.Errorf's, for what %w wraps
}

func (e *msgError) Error() string    { return e.m.In(English) }
func (e *msgError) Message() Message { return e.m }
func (e *msgError) Unwrap() []error {
	switch u := e.err.(type) {
	case interface{ Unwrap() error }:
		return []error{u.Unwrap()}
	case interface{ Unwrap() []error }:
		return u.Unwrap()
	}
	return nil
}

// Say is err's text in l, the one place an error becomes words: an
// *Error or a Messager in l, its cause too; a constant error (errors.New,
// no cause) translated whole; any other error (a library's, with values
// in its text) as its own text says it.
func Say(err error, l Language) string {
	if err == nil {
		return ""
	}
	switch e := err.(type) {
	case *Error:
		return e.in(l)
	case Messager:
		return e.Message().In(l)
	case formatArgs:
		format, args := e.FormatArgs()
		return Message{format, args}.In(l)
	case interface{ Unwrap() error }, interface{ Unwrap() []error }:
		return err.Error()
	}
	return l.Format(err.Error())
}
