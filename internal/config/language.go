package config

import (
	"os"

	"github.com/kcloud/kcloud/internal/i18n"
)

// Language is the language of text for people: ui.language, where auto
// reads the locale as POSIX orders it (LC_ALL, then LC_MESSAGES, then
// LANG; the first that is set and not empty decides). A locale of a
// language kcloud speaks ("ko", "ko_KR.UTF-8") is that language (the
// registry, i18n.Tags); C, POSIX and every other language are en.
func (c *Config) Language() string {
	if i18n.Lookup(c.UI.Language) != nil {
		return c.UI.Language
	}
	return LocaleLanguage(os.Getenv)
}

// EnvLanguage is the language of a run whose configuration could not be
// read (the error about it is said in it): the --ui-language flag's
// value, then KCLOUD_UI_LANGUAGE, where one names a language, else the
// locale's.
func EnvLanguage(flag string, getenv func(string) string) string {
	for _, l := range []string{flag, getenv("KCLOUD_UI_LANGUAGE")} {
		if i18n.Lookup(l) != nil {
			return l
		}
	}
	return LocaleLanguage(getenv)
}

// LocaleLanguage is the language auto picks from the environment getenv
// reads.
func LocaleLanguage(getenv func(string) string) string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc := getenv(v); loc != "" {
			return i18n.FromLocale(loc).Tag
		}
	}
	return "en"
}
