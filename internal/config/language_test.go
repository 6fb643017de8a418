package config

import "testing"

// TestLocaleLanguage: auto reads LC_ALL, then LC_MESSAGES, then LANG, the
// first set deciding; C, POSIX and other languages are English.
func TestLocaleLanguage(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "en"},
		{map[string]string{"LANG": "ko_KR.UTF-8"}, "ko"},
		{map[string]string{"LANG": "ko"}, "ko"},
		{map[string]string{"LANG": "ko_KR.UTF-8", "LC_ALL": "C"}, "en"},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "ko_KR.UTF-8"}, "ko"},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "ko_KR.eucKR"}, "ko"},
		{map[string]string{"LANG": "ko_KR.UTF-8", "LC_MESSAGES": "POSIX"}, "en"},
		{map[string]string{"LANG": "kok_IN"}, "en"}, // Konkani, not Korean
		{map[string]string{"LANG": "ja_JP.UTF-8"}, "en"},
		{map[string]string{"LC_ALL": "", "LANG": "ko_KR.UTF-8"}, "ko"}, // empty is unset
	} {
		if got := LocaleLanguage(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.env, got, tc.want)
		}
	}
}
