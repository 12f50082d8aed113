package labelstudio

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"delineate/project"
)

var notHost = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// TokenPath is where a server's token is remembered: a file of mode 0600
// in the user's config folder, one per host, never in a project.
func TokenPath(server string) (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	host := server
	if u, err := url.Parse(server); err == nil && u.Host != "" {
		host = u.Host
	}
	return filepath.Join(dir, "delineate", "labelstudio", notHost.ReplaceAllString(host, "_")+".token"), nil
}

// SaveToken remembers a server's token (atomically, mode 0600).
func SaveToken(server, tok string) error {
	p, err := TokenPath(server)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return project.WriteFileAtomic(p, []byte(tok+"\n"), 0o600)
}

// LoadToken is a server's remembered token, "" when there is none.
func LoadToken(server string) string {
	p, err := TokenPath(server)
	if err != nil {
		return ""
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
