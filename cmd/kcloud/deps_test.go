package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: the design names the packages that do the work; the
// binary links them, and none meant only for tests.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	has := func(p string) bool {
		for _, d := range deps {
			if d == p {
				return true
			}
		}
		return false
	}
	for _, p := range []string{"github.com/spf13/cobra", "github.com/spf13/viper", "github.com/mdp/qrterminal/v3",
		"github.com/pquerna/otp", "go.etcd.io/bbolt", "golang.org/x/term"} {
		if !has(p) {
			t.Errorf("kcloud does not link %s", p)
		}
	}
	for _, p := range []string{"github.com/hinshun/vt10x", "github.com/makiuchi-d/gozxing", "github.com/kcloud/kcloud/internal/termtest"} {
		if has(p) {
			t.Errorf("kcloud links %s, which is for tests", p)
		}
	}
}
