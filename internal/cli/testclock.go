//go:build kcloud_testclock

package cli

import (
	"os"
	"time"
)

// A binary built with -tags kcloud_testclock (the end-to-end tests' own,
// never a release) runs KCLOUD_TEST_CLOCK (a duration such as 2s) ahead
// of the system's clock, so that scripts pass a code's or a session's
// life without waiting for it.
func init() {
	if d, err := time.ParseDuration(os.Getenv("KCLOUD_TEST_CLOCK")); err == nil {
		now = func() time.Time { return time.Now().Add(d) }
	}
}
