// Package locale keeps the GUI toolkit quiet about the POSIX locale.
//
// Fyne parses the user's locale while its packages initialise, before
// main runs, and logs three lines of "Error parsing user locale C" on
// stderr when it is "C" or "POSIX" — the Debian default (LANG=C.UTF-8),
// so every CLI run printed them. Imported first by cmd/app, this package's
// init runs before Fyne's (Go initialises packages in import-path order
// once their dependencies are: "delineate/…" sorts before "fyne.io/…", and
// this one needs only os), and tells the toolkit's locale lookup the
// language the C locale means: English. Only LC_MESSAGES is set, and only
// when nothing more specific is: number, date and collation rules are
// untouched, and a real locale (de_DE, fr_FR) is left as it is.
package locale

import (
	"os"
	"strings"
)

func init() { Fix() }

// Fix sets LC_MESSAGES=en_US.UTF-8 when the locale in effect for messages
// is C or POSIX. It reports whether it changed anything.
func Fix() bool {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		if !isPOSIX(v) {
			return false
		}
		if k == "LC_ALL" {
			// LC_ALL overrides LC_MESSAGES; replace it with LANG, which
			// every category but messages then falls back to.
			os.Unsetenv("LC_ALL")
			if os.Getenv("LANG") == "" {
				os.Setenv("LANG", v)
			}
		}
		os.Setenv("LC_MESSAGES", "en_US.UTF-8")
		return true
	}
	return false
}

func isPOSIX(v string) bool {
	base, _, _ := strings.Cut(v, ".")
	return base == "C" || base == "POSIX"
}
