package cli

import (
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/kcloud/kcloud/internal/account"
	"github.com/kcloud/kcloud/internal/config"
	"github.com/kcloud/kcloud/internal/store"
	"github.com/kcloud/kcloud/internal/term"
	"github.com/kcloud/kcloud/internal/text"
)

// Factory gives commands what they need, built only when first asked:
// a command that needs no store never reads the configuration.
type Factory struct {
	IO  *IOStreams
	Now func() time.Time

	configFile string
	flags      *pflag.FlagSet
	started    bool
	jqExpr     string
	jq         string // jqExpr, once it compiled
	// accessKey is the token of KCLOUD_ACCESS_KEY (or its file), for a
	// command that runs with one (useAccessKey).
	accessKey string

	cfg    *config.Config
	cfgErr error
	svc    *account.Service
	// runHook, set by tests, receives a command's options in place of
	// running it (runCmd).
	runHook func(options any) error
}

// Config loads the configuration once; a failure is kept too, so that
// saying it (report, the hint, the language) reads no file again.
func (f *Factory) Config() (*config.Config, error) {
	if f.cfg != nil || f.cfgErr != nil {
		return f.cfg, f.cfgErr
	}
	file, mustExist := config.File(f.configFile)
	cfg, err := config.Load(file, mustExist, map[string]*pflag.Flag{
		"store.path":  f.flags.Lookup("store"),
		"output":      f.flags.Lookup("output"),
		"ui.language": f.flags.Lookup("ui-language"),
	})
	if err != nil {
		f.cfgErr = err
		return nil, err
	}
	f.cfg = cfg
	return cfg, nil
}

// Service returns the account service on the configured store.
func (f *Factory) Service() (*account.Service, error) {
	if f.svc != nil {
		return f.svc, nil
	}
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	st, err := f.Store()
	if err != nil {
		return nil, err
	}
	f.svc = &account.Service{
		Store:       st,
		Now:         f.Now,
		Params:      cfg.Argon2(),
		Issuer:      cfg.OTP.Issuer,
		LocalPolicy: localPolicy(cfg),
		Local:       f.localStore(cfg),
		Warn:        func(w error) { d := f.deps(); fmtLine(f.IO.Err, "kcloud: warning: %s", d.tr().say(w)) },
		Host:        hostName(),
		Client:      "kcloud " + buildInfo().version,
		Ticket:      term.Ticket,
	}
	if cfg.Notify.SecurityAlerts {
		f.svc.Notify = notifier(cfg, f.Now)
	}
	return f.svc, nil
}

// hostName is this machine's name for session records, checked as names
// are (it is shown to people, and on etcd read by other machines); ""
// when it is not a plain one.
func hostName() string {
	h, err := os.Hostname()
	if err != nil || len(h) > 253 || !text.Safe(h) {
		return ""
	}
	return h
}

// Store opens the configured store.
func (f *Factory) Store() (*store.Store, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	var st *store.Store
	if cfg.Store.Backend == "etcd" {
		b, err := openEtcd(cfg)
		if err != nil {
			return nil, err
		}
		st = store.New(b)
	} else {
		st = store.Open(cfg.Store.Path, store.Options{LockTimeout: cfg.Store.LockTimeout, Waiting: f.waiting})
	}
	return st, nil
}

// waiting tells the person at the terminal, once, that another kcloud
// holds the store: a command waiting for it is otherwise silent until
// store.lock_timeout. A script (no terminal on stdin) is told nothing.
func (f *Factory) waiting() {
	if !f.IO.stdinTTY {
		return
	}
	if t, err := f.IO.TTY(); err == nil {
		d := f.deps()
		io.WriteString(t.Writer(), d.tr().T("waiting for another kcloud to finish...")+"\n")
	}
}

// localStore is where this machine keeps its session when the directory
// is shared: sessions are per machine, never in the cluster. nil means
// the store itself (bbolt).
func (f *Factory) localStore(cfg *config.Config) *store.Store {
	if cfg.Store.Backend != "etcd" {
		return nil
	}
	return store.Open(cfg.Session.Path, store.Options{LockTimeout: cfg.Store.LockTimeout, Waiting: f.waiting})
}

// localPolicy is the policy keys this machine's configuration gives.
func localPolicy(cfg *config.Config) account.Local {
	l := account.Local{}
	v := map[string]int64{
		"session.ttl":                account.LocalValue(cfg.Session.TTL),
		"verification.code_ttl":      account.LocalValue(cfg.Verification.CodeTTL),
		"verification.resend_after":  account.LocalValue(cfg.Verification.ResendAfter),
		"verification.max_attempts":  account.LocalValue(cfg.Verification.MaxAttempts),
		"security.lockout_threshold": account.LocalValue(cfg.Security.LockoutThreshold),
		"security.lockout_duration":  account.LocalValue(cfg.Security.LockoutDuration),
	}
	for _, k := range account.PolicyKeys() {
		if cfg.Set[k] {
			l[k] = v[k]
		}
	}
	return l
}

// deps is what a command's options hold, instead of the Factory: the
// streams, and functions that give the configuration, the store and the
// account service when first asked (the Factory's, built once; in a
// unit test, a store of the test's own: testDeps). A run function
// reaches nothing else.
type deps struct {
	IO      *IOStreams
	Now     func() time.Time
	Config  func() (*config.Config, error)
	Store   func() (*store.Store, error)
	Service func() (*account.Service, error)
	// jq is the --jq program, if any.
	jq func() string
	// uiFlag is --ui-language as given, for a run whose configuration
	// failed to load.
	uiFlag string
	// key is the access key the command runs with, or "".
	key func() string
	// keyProof is the key's proof, once the page was opened with it.
	keyProof *account.Proof
}

// deps gives a command's options what they may use.
func (f *Factory) deps() deps {
	d := deps{IO: f.IO, Now: f.Now, Config: f.Config, Store: f.Store, Service: f.Service, jq: func() string { return f.jq },
		key: func() string { return f.accessKey }}
	if fl := f.flags.Lookup("ui-language"); fl != nil {
		d.uiFlag = fl.Value.String()
	}
	return d
}

// accessKey is the token of the access key the command runs with, or "".
func (f *deps) accessKey() string {
	if f.key == nil { // a test's deps
		return ""
	}
	return f.key()
}

// language is the language of text for people on this run: ui.language,
// auto read from the locale (config.Config.Language).
func (f *deps) language() string {
	if f.Config == nil { // a test's deps without a configuration
		return "en"
	}
	cfg, err := f.Config()
	if err != nil { // said in the language of the flag or the environment
		return config.EnvLanguage(f.uiFlag, os.Getenv)
	}
	return cfg.Language()
}

// output returns the output format.
func (f *deps) output() (string, error) {
	cfg, err := f.Config()
	if err != nil {
		return "", err
	}
	return cfg.Output, nil
}

// print writes a result: doc for json and yaml, or what human writes for
// people.
func (f *deps) print(doc any, human func(t *table)) error {
	if f.jq != nil { // nil in a test's deps: no --jq
		if jq := f.jq(); jq != "" {
			return writeJQ(f.IO.Out, jq, doc)
		}
	}
	format, err := f.output()
	if err != nil {
		return err
	}
	if format != "text" {
		return writeDoc(f.IO.Out, format, doc)
	}
	t := newTable(f.IO.Out)
	human(t)
	return t.flush()
}

// say writes a status line for people to stderr, in text mode only.
//
// A status line is said in the run's language where the catalogue has
// it (internal/i18n), else in English.
func (f *deps) say(format string, args ...any) {
	if out, err := f.output(); err == nil && out == "text" {
		f.IO.status(f.tr().F(format, args...))
	}
}

// sayAlways writes a status line to stderr whatever the output format:
// for what a person must know even when a script reads stdout.
func (f *deps) sayAlways(format string, args ...any) {
	f.IO.status(f.tr().F(format, args...))
}

// sayPath writes a path on a line of its own, indented, after the line
// that says what it is: a double-click copies the path alone, in every
// language.
func (f *deps) sayPath(path string) { fmtLine(f.IO.Err, "  %s", path) }

// runCmd runs a command's run function on its options, or, when a test
// has set Factory.runHook, hands the options to the hook instead: a test
// sees what the flags and arguments made of them without running the
// command (as cli/cli's NewCmdX(f, runF)).
func runCmd[O any](f *Factory, o *O, run func(*O) error) error {
	if f.runHook != nil {
		return f.runHook(o)
	}
	return run(o)
}
