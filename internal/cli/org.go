package cli

import (
	"github.com/spf13/cobra"

	"github.com/kcloud/kcloud/internal/account"
)

func newOrgCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "org",
		Short: "See the organization and its security policy; admins change them",
	}
	show := &orgShowOptions{deps: f.deps()}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Show the organization: name, ID, nickname and security policies",
		Long: `Show the organization's name, ID, whether it uses nicknames, and its security
policy: the rules every machine that shares the store enforces. Where this
machine's configuration is stricter, the value in force here is shown too.`,
		Example: `  kcloud org show
  kcloud org show -q .policy`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCmd(f, show, orgShowRun) },
	})
	o := &orgSetOptions{deps: f.deps()}
	set := &cobra.Command{
		Use:   "set",
		Short: "Set the nickname policy or the security policy (admins only)",
		Long: `Set whether the organization uses nicknames, or a rule of its security policy
(admins only; the password is asked). --policy takes KEY=VALUE and may be
given more than once. The keys: session.ttl, session.idle_ttl,
verification.code_ttl, verification.resend_after, verification.max_attempts,
security.lockout_threshold, security.lockout_duration, security.require_otp,
security.password_min_length, security.access_keys,
security.access_key_max_age and security.reauth_grace.

security.require_otp=true gives a member without an authenticator a session
that opens only otp register, whoami and logout. security.password_min_length
(default 15) applies to every new password; it may be below 15, never below 8,
only while an OTP is required. security.reauth_grace (default 0, at most 15m)
lets the pages that open no sealed secret (show, set, activity, the lists)
skip the password for that long after one was typed on the session.

A machine's configuration can make a rule stricter there, never looser.`,
		Example: `  kcloud org set --nicknames=true
  kcloud org set --policy security.lockout_threshold=3 --policy security.lockout_duration=1h
  kcloud org set --policy security.require_otp=true --policy security.password_min_length=12`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.changed = cmd.Flags().Changed
			return runCmd(f, o, orgSetRun)
		},
	}
	set.Flags().BoolVar(&o.nicknames, "nicknames", false, "whether the organization uses nicknames")
	set.Flags().StringArrayVar(&o.policy, "policy", nil, "a security policy rule as `KEY=VALUE` (repeatable)")
	set.RegisterFlagCompletionFunc("policy", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var keys []string
		for _, k := range account.PolicyKeys() {
			keys = append(keys, k+"=")
		}
		return keys, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
	cmd.AddCommand(set)
	return cmd
}

// policyDoc is the security policy as JSON: durations as Go durations
// ("15m0s"), counts as numbers.
type policyDoc struct {
	SessionTTL       string `json:"session_ttl"`
	CodeTTL          string `json:"verification_code_ttl"`
	ResendAfter      string `json:"verification_resend_after"`
	MaxAttempts      int    `json:"verification_max_attempts"`
	LockoutThreshold int    `json:"security_lockout_threshold"`
	LockoutDuration  string `json:"security_lockout_duration"`
	RequireOTP       bool   `json:"security_require_otp"`
	PasswordMin      int    `json:"security_password_min_length"`
	IdleTTL          string `json:"session_idle_ttl"`
	AccessKeys       bool   `json:"security_access_keys"`
	AccessKeyMaxAge  string `json:"security_access_key_max_age"`
	ReauthGrace      string `json:"security_reauth_grace"`
}

func newPolicyDoc(p account.Policy) policyDoc {
	return policyDoc{p.SessionTTL.String(), p.CodeTTL.String(), p.ResendAfter.String(),
		p.MaxAttempts, p.LockoutThreshold, p.LockoutDuration.String(), p.RequireOTP, p.PasswordMinLength,
		p.IdleTTL.String(), !p.NoAccessKeys, p.AccessKeyMaxAge.String(), p.ReauthGrace.String()}
}

func printOrg(f *deps, org *account.Organization, eff *account.Policy) error {
	stored := org.Policy.WithDefaults()
	doc := struct {
		orgDoc
		Policy          policyDoc `json:"policy"`
		EffectivePolicy policyDoc `json:"effective_policy"`
	}{newOrgDoc(org), newPolicyDoc(stored), newPolicyDoc(*eff)}
	return f.print(doc, func(t *table) {
		w := f.tr()
		t.row(w.T("Organization name"), org.Name)
		t.row(w.T("Organization ID"), org.ID)
		t.row(w.T("Uses nicknames"), w.yesNo(org.UsesNicknames))
		here, vals := eff.Entries(), eff.Values()
		for i, e := range stored.Entries() {
			v := w.F("%v", stored.Values()[i])
			if here[i][1] != e[1] {
				v = w.F("%v (%v on this machine)", stored.Values()[i], vals[i])
			}
			t.row(e[0], v)
		}
	})
}

type orgShowOptions struct{ deps }

func orgShowRun(o *orgShowOptions) error {
	v, _, org, err := o.session()
	if err != nil {
		return err
	}
	eff := v.Policy()
	return printOrg(&o.deps, org, &eff)
}

type orgSetOptions struct {
	deps
	nicknames bool
	policy    []string
	changed   func(flag string) bool
}

func orgSetRun(o *orgSetOptions) error {
	f := &o.deps
	var c account.OrgChange
	if o.changed("nicknames") {
		c.Nicknames = &o.nicknames
	}
	c.Policy = o.policy
	v, _, _, err := f.session()
	if err != nil {
		return err
	}
	if err := v.RequireAdmin(); err != nil {
		return err
	}
	if err := c.Check(); err != nil {
		return err
	}
	pr, err := f.prove(v)
	if err != nil {
		return err
	}
	org, err := v.SetOrg(pr, c)
	if err != nil {
		return err
	}
	f.say("Saved.")
	svc, err := f.Service()
	if err != nil {
		return err
	}
	eff := svc.Effective(org)
	return printOrg(f, org, &eff)
}
