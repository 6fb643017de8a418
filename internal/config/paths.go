package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[1:])
		}
	}
	return p
}

func xdg(env string, unixDefault ...string) string {
	if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
		return d
	}
	if runtime.GOOS == "windows" {
		if d, err := os.UserConfigDir(); err == nil {
			return d
		}
	}
	h, err := os.UserHomeDir()
	if err != nil {
		h = "."
	}
	return filepath.Join(append([]string{h}, unixDefault...)...)
}

// ConfigHome is $XDG_CONFIG_HOME, or ~/.config.
func ConfigHome() string { return xdg("XDG_CONFIG_HOME", ".config") }

// DataHome is $XDG_DATA_HOME, or ~/.local/share.
func DataHome() string { return xdg("XDG_DATA_HOME", ".local", "share") }

// StateHome is $XDG_STATE_HOME, or ~/.local/state.
func StateHome() string { return xdg("XDG_STATE_HOME", ".local", "state") }
