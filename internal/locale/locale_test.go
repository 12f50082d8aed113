package locale

import (
	"os"
	"testing"
)

func TestFix(t *testing.T) {
	for _, tc := range []struct {
		lcAll, lcMsg, lang string
		changed            bool
		wantMsg, wantLang  string
	}{
		{"", "", "C.UTF-8", true, "en_US.UTF-8", "C.UTF-8"},
		{"", "", "POSIX", true, "en_US.UTF-8", "POSIX"},
		{"C", "", "", true, "en_US.UTF-8", "C"},
		{"", "", "de_DE.UTF-8", false, "", "de_DE.UTF-8"},
		{"", "fr_FR.UTF-8", "C.UTF-8", false, "fr_FR.UTF-8", "C.UTF-8"},
		{"", "", "", false, "", ""},
	} {
		t.Setenv("LC_ALL", tc.lcAll)
		t.Setenv("LC_MESSAGES", tc.lcMsg)
		t.Setenv("LANG", tc.lang)
		if got := Fix(); got != tc.changed {
			t.Errorf("%+v: changed %v", tc, got)
		}
		if os.Getenv("LC_ALL") != "" && tc.changed {
			t.Errorf("%+v: LC_ALL still set", tc)
		}
		if m, l := os.Getenv("LC_MESSAGES"), os.Getenv("LANG"); m != tc.wantMsg || l != tc.wantLang {
			t.Errorf("%+v: LC_MESSAGES %q LANG %q", tc, m, l)
		}
	}
}
