package store

import (
	"os"
	"testing"

	"github.com/kcloud/kcloud/internal/etcdtest"
)

func TestMain(m *testing.M) { os.Exit(etcdtest.Main(m)) }
