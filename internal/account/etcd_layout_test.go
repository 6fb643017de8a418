package account

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kcloud/kcloud/internal/etcdtest"
	"github.com/kcloud/kcloud/internal/store"
)

// TestEtcdKeysDocumented: every key an organization's directory holds
// after init, a login and an event is one docs/etcd.md's table names, and
// every key the table names is written: operators grant roles by them.
func TestEtcdKeysDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/etcd.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `<prefix>([^`]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = false
	}
	if len(documented) == 0 {
		t.Fatal("docs/etcd.md has no table of keys")
	}
	c, prefix := etcdtest.Shared(t)
	w := &world{
		open: func() *store.Store {
			return store.New(store.OpenEtcd(store.EtcdOptions{Endpoints: c.Endpoints(), Prefix: prefix}))
		},
		local: func() *store.Store {
			return store.Open(t.TempDir()+"/session.db", store.Options{LockTimeout: time.Second})
		},
	}
	w, clk := setup(t, w)
	if err := login(t, newService(w, clk), "alice", pw); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Client("", "").Get(etcdtest.Ctx(t), prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	shapes := strings.NewReplacer("alice", "<User ID>")
	seq := regexp.MustCompile(`/[0-9a-f]{16}$`)
	txn := regexp.MustCompile(`^txn/@[0-9a-f]{16}-[0-9a-f]{32}$`)
	for _, kv := range resp.Kvs {
		k := strings.TrimPrefix(string(kv.Key), prefix)
		k = txn.ReplaceAllString(seq.ReplaceAllString(shapes.Replace(k), "/<16 hex digits>"), "txn/@<time>-<random>")
		if _, ok := documented[k]; !ok {
			t.Errorf("kcloud wrote %s; docs/etcd.md does not name %q", kv.Key, k)
		}
		documented[k] = true
	}
	for k, seen := range documented {
		if !seen {
			t.Errorf("docs/etcd.md names %q; kcloud wrote no such key", k)
		}
	}
}
