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
		t.Fatalf("go list: %v", err)
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
	for _, p := range []string{"github.com/hinshun/vt10x", "github.com/makiuchi-d/gozxing", "github.com/kcloud/kcloud/internal/termtest",
		"github.com/kcloud/kcloud/internal/etcdtest", "go.etcd.io/etcd/server/v3/embed"} {
		if has(p) {
			t.Errorf("kcloud links %s, which is for tests", p)
		}
	}
	// The etcd directory speaks JSON over net/http: the gRPC client's
	// package initialisation would run at every start of every command
	// (docs/performance.md).
	for _, d := range deps {
		if strings.HasPrefix(d, "google.golang.org/grpc") || strings.HasPrefix(d, "go.etcd.io/etcd/") ||
			strings.HasPrefix(d, "google.golang.org/protobuf") || strings.HasPrefix(d, "go.uber.org/zap") {
			t.Errorf("kcloud links %s", d)
		}
	}
}
