package cli

import (
	"strings"
	"testing"

	"github.com/kcloud/kcloud/internal/fail"
	"github.com/kcloud/kcloud/internal/secret"
)

// endless is standard input that never ends a line: /dev/zero.
type endless struct{ read int }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0
	}
	e.read += len(p)
	return len(p), nil
}

// TestPasswordStdinBounded: an endless line is refused with exit 2 after
// reading little more than the limit (security rule 13; finding 9).
func TestPasswordStdinBounded(t *testing.T) {
	in := &endless{}
	io := &IOStreams{In: in, PasswordStdin: true}
	_, err := io.Secret("the password", "")
	if fail.KindOf(err) != fail.Usage || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("an endless line: %v; want a usage error", err)
	}
	if in.read > 64<<10 {
		t.Fatalf("read %d bytes of an endless line; want about %d", in.read, secret.MaxPassword)
	}
}

func TestPasswordStdinLines(t *testing.T) {
	io := &IOStreams{In: strings.NewReader("first pass\r\nsecond pass\nlast"), PasswordStdin: true}
	for _, want := range []string{"first pass", "second pass", "last"} {
		got, err := io.Secret("a secret", "")
		if err != nil || string(got) != want {
			t.Fatalf("Secret = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := io.Secret("one more", ""); fail.KindOf(err) != fail.Usage {
		t.Fatalf("after the last line: %v; want a usage error", err)
	}
	exact := strings.Repeat("x", secret.MaxPassword)
	io = &IOStreams{In: strings.NewReader(exact + "\n" + exact + "y\n"), PasswordStdin: true}
	if got, err := io.Secret("a", ""); err != nil || len(got) != secret.MaxPassword {
		t.Fatalf("a line of exactly the limit: %d bytes, %v", len(got), err)
	}
	if _, err := io.Secret("b", ""); fail.KindOf(err) != fail.Usage {
		t.Fatalf("a line one byte over: %v; want a usage error", err)
	}
}
