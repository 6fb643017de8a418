package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	bolt "go.etcd.io/bbolt"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// kcloudBin builds kcloud once for every test that runs it as a process
// (the scripts, the terminal tests, the load and kill tests): as releases
// are built, CGO_ENABLED=0, and with -cover when the tests measure
// coverage, so that what those processes run is counted (coverEnv).
func kcloudBin(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kcloud-test-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "kcloud")
		// kcloud_testclock: KCLOUD_TEST_CLOCK moves the clock of the
		// binary the tests run (internal/cli/testclock.go).
		args := []string{"build", "-tags", "kcloud_testclock", "-o", binPath}
		if testing.CoverMode() != "" {
			args = append(args, "-cover", "-coverpkg=github.com/kcloud/kcloud/...")
		}
		c := exec.Command("go", append(args, ".")...)
		c.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := c.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// coverEnv has a kcloud process built with -cover write its counters
// where go test merges them into the report.
func coverEnv() []string {
	if f := flag.Lookup("test.gocoverdir"); f != nil && f.Value.String() != "" {
		return []string{"GOCOVERDIR=" + f.Value.String()}
	}
	return nil
}

// TestScripts runs the end-to-end scripts in testdata/script: the real
// kcloud, in a fresh HOME, on a real store file.
func TestScripts(t *testing.T) {
	bin := kcloudBin(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+env.Getenv("PATH"))
			for _, kv := range coverEnv() {
				k, v, _ := strings.Cut(kv, "=")
				env.Setenv(k, v)
			}
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("HOME", home)
			for _, v := range []string{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "KCLOUD_CONFIG", "KCLOUD_NO_INPUT", "KCLOUD_OUTPUT", "KCLOUD_STORE_PATH"} {
				env.Setenv(v, "")
			}
			env.Setenv("STORE", filepath.Join(home, ".local", "share", "kcloud", "kcloud.db"))
			// The browser kcloud opens for a passkey is this test binary
			// with KCLOUD_SOFTKEY set (TestMain): a script sets it.
			self, err := os.Executable()
			if err != nil {
				return err
			}
			env.Setenv("BROWSER", self)
			env.Setenv("KCLOUD_SOFTKEY", "")
			return nil
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"lockstore":   cmdLockstore,
			"unlockstore": cmdUnlockstore,
			"json":        cmdJSON,
			"jsonkeys":    cmdJSONKeys,
			"filesum":     cmdFilesum,
			"setschema":   cmdSetschema,
			"status":      cmdStatus,
			"sleep":       cmdSleep,
			"jsonenv":     cmdJSONEnv,
			"totp":        cmdTOTP,
			"nosecret":    cmdNoSecret,
			"smtpserver":  cmdSMTPServer,
			"httpserver":  cmdHTTPServer,
			"code":        cmdCode,
			"capture":     cmdCapture,
			"mimedecode":  cmdMIMEDecode,
			"tamper":      cmdTamper,
		},
	})
}

// status N PROG ARGS...: run PROG and require exit status N exactly, so
// that a script tells exit 3 from exit 4 ("! exec" takes any failure).
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: %q is not a number", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("status: %v", err)
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// sleep DURATION: wait, for codes and sessions to expire.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}

// jsonenv VAR PATH: set VAR to the string at PATH of the JSON on stdout.
func cmdJSONEnv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: jsonenv VAR PATH")
	}
	s, ok := jsonAt(ts, args[1]).(string)
	if !ok {
		ts.Fatalf("jsonenv: %s is not a string", args[1])
	}
	ts.Setenv(args[0], s)
}

// totp VAR SECRET [STEPS]: set VAR to the TOTP code of the Base32 SECRET
// for now plus STEPS steps of 30 seconds. It is RFC 6238 written out
// here, apart from kcloud's own code, as an authenticator app would.
func cmdTOTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: totp VAR SECRET [STEPS]")
	}
	steps := 0
	if len(args) == 3 {
		var err error
		steps, err = strconv.Atoi(args[2])
		ts.Check(err)
	}
	code, err := totpCode(args[1], steps)
	ts.Check(err)
	ts.Setenv(args[0], code)
}

// totpCode is RFC 6238 (SHA1, 6 digits, 30 s) for now plus steps.
func totpCode(secret string, steps int) (string, error) {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.ReplaceAll(secret, " ", "")))
	if err != nil {
		return "", err
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(time.Now().Unix()/30+int64(steps)))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0xf
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1000000), nil
}

// nosecret FILE SECRET: FILE holds neither the Base32 SECRET (in any
// case) nor its bytes.
func cmdNoSecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: nosecret FILE SECRET")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(args[1])
	ts.Check(err)
	lower := bytes.ToLower(data)
	for what, needle := range map[string][]byte{
		"the Base32 secret":  bytes.ToLower([]byte(args[1])),
		"the secret's bytes": raw,
	} {
		hay := data
		if what == "the Base32 secret" {
			hay = lower
		}
		if bytes.Contains(hay, needle) {
			ts.Fatalf("%s holds %s", args[0], what)
		}
	}
	if len(data) == 0 {
		ts.Fatalf("%s is empty", args[0])
	}
}

// tamper STORE USER: write a hostile name straight into the store, as
// someone editing the file would, to show output escapes what input
// checks would have refused.
func cmdTamper(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tamper STORE USER")
	}
	db, err := bolt.Open(ts.MkAbs(args[0]), 0o600, &bolt.Options{Timeout: time.Second})
	ts.Check(err)
	defer db.Close()
	ts.Check(db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("accounts"))
		var a map[string]any
		if err := json.Unmarshal(b.Get([]byte(args[1])), &a); err != nil {
			return err
		}
		a["name"] = "Eve\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ \x1b[2J\u009b31m\u202egnp\x7f"
		data, _ := json.Marshal(a)
		return b.Put([]byte(args[1]), data)
	}))
}

var (
	heldMu sync.Mutex
	held   = map[*testscript.TestScript]*bolt.DB{}
)

// lockstore PATH: hold the store's bbolt lock in this process, as another
// kcloud writing would, until unlockstore.
func cmdLockstore(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: lockstore PATH")
	}
	db, err := bolt.Open(ts.MkAbs(args[0]), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	ts.Check(err)
	heldMu.Lock()
	held[ts] = db
	heldMu.Unlock()
	ts.Defer(func() { db.Close() })
}

func cmdUnlockstore(ts *testscript.TestScript, neg bool, args []string) {
	heldMu.Lock()
	defer heldMu.Unlock()
	if db := held[ts]; db != nil {
		db.Close()
		delete(held, ts)
	}
}

// setschema PATH N: write schema version N, as a newer kcloud would.
func cmdSetschema(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: setschema PATH N")
	}
	db, err := bolt.Open(ts.MkAbs(args[0]), 0o600, &bolt.Options{Timeout: time.Second})
	ts.Check(err)
	defer db.Close()
	ts.Check(db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte(args[1]))
	}))
}

// filesum FILE: print the file's SHA-256, to show a command left it as it was.
func cmdFilesum(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: filesum FILE")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%x\n", sha256.Sum256(data))
}

// json PATH WANT: the value at PATH (.a.b, .0.c) of the JSON on stdout is
// WANT: a string's text, or the JSON of anything else (null, true, 3).
// WANT ~RE matches a regular expression instead.
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: json PATH WANT")
	}
	v := jsonAt(ts, args[0])
	got := ""
	if s, ok := v.(string); ok {
		got = s
	} else {
		b, _ := json.Marshal(v)
		got = string(b)
	}
	want := args[1]
	var ok bool
	if strings.HasPrefix(want, "~") {
		ok = regexp.MustCompile(want[1:]).MatchString(got)
	} else {
		ok = got == want
	}
	if ok == neg {
		ts.Fatalf("json %s: got %q, want %s%q", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

func jsonAt(ts *testscript.TestScript, path string) any {
	var v any
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &v); err != nil {
		ts.Fatalf("stdout is not JSON: %v", err)
	}
	for _, p := range strings.Split(strings.Trim(path, "."), ".") {
		if p == "" {
			continue
		}
		switch c := v.(type) {
		case map[string]any:
			val, ok := c[p]
			if !ok {
				ts.Fatalf("json: no field %q on the way to %s", p, path)
			}
			v = val
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				ts.Fatalf("json: no element %q on the way to %s (length %d)", p, path, len(c))
			}
			v = c[i]
		default:
			ts.Fatalf("json: %s: %q is not an object or list", path, p)
		}
	}
	return v
}

// jsonkeys PATH K1 K2 ...: the object at PATH has exactly these keys, in
// this order.
func cmdJSONKeys(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: jsonkeys PATH KEY...")
	}
	jsonAt(ts, args[0]) // fails plainly if there is no such path
	got := orderedKeys(ts, []byte(ts.ReadFile("stdout")), args[0])
	if strings.Join(got, " ") != strings.Join(args[1:], " ") {
		ts.Fatalf("jsonkeys %s: got %v, want %v", args[0], got, args[1:])
	}
}

// orderedKeys returns the keys of the object at path, in document order.
func orderedKeys(ts *testscript.TestScript, doc []byte, path string) []string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	var walk func(want []string) []string
	walk = func(want []string) []string {
		tok, err := dec.Token()
		if err != nil {
			ts.Fatalf("jsonkeys: %v", err)
		}
		switch tok {
		case json.Delim('{'):
			var keys []string
			var found []string
			for dec.More() {
				k, _ := dec.Token()
				key := k.(string)
				keys = append(keys, key)
				if len(want) > 0 && want[0] == key {
					found = walk(want[1:])
				} else {
					walk([]string{"\x00"})
				}
			}
			dec.Token()
			if len(want) == 0 {
				return keys
			}
			return found
		case json.Delim('['):
			var found []string
			for i := 0; dec.More(); i++ {
				if len(want) > 0 && want[0] == strconv.Itoa(i) {
					found = walk(want[1:])
				} else {
					walk([]string{"\x00"})
				}
			}
			dec.Token()
			return found
		}
		return nil
	}
	var want []string
	for _, p := range strings.Split(strings.Trim(path, "."), ".") {
		if p != "" {
			want = append(want, p)
		}
	}
	return walk(want)
}
