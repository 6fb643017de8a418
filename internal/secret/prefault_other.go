//go:build !linux

package secret

// prefault does nothing where huge-page advice is not known to help.
func prefault(int) {}
