package pacs

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/zalando/go-keyring"
)

// ReadSecretFile returns the first line of a password or token file,
// without its line end. The secret is not in the error of a failure.
// private is false when the file is readable by others than its owner (the caller
// may warn: chmod 600).
func ReadSecretFile(path string) (secret string, private bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", false, err
	}
	if st.IsDir() {
		return "", false, fmt.Errorf("%s is a folder, not a password or token file", path)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	if sc.Scan() {
		secret = strings.TrimRight(sc.Text(), "\r")
	}
	if err := sc.Err(); err != nil {
		return "", false, fmt.Errorf("reading %s: the first line is too long or unreadable", path)
	}
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return "", false, fmt.Errorf("%s: the first line is empty", path)
	}
	return secret, st.Mode().Perm()&0o077 == 0, nil
}

// KeyringService is the service name under which Delineate keeps DICOMweb
// secrets in the OS keyring (Secret Service on Linux, Keychain on macOS,
// Credential Manager on Windows).
const KeyringService = "delineate-dicomweb"

// ErrNoKeyringSecret is returned when the keyring holds no secret for the
// server and user asked for.
var ErrNoKeyringSecret = errors.New("pacs: no secret in the OS keyring for this server and user")

// KeyringAccount is the keyring account of a user on a server: the
// server's URL without credentials or query, and the user name.
func KeyringAccount(serverURL, user string) string {
	return user + "@" + redactURL(serverURL)
}

// KeyringSecret reads a password or token from the OS keyring.
func KeyringSecret(serverURL, user string) (string, error) {
	s, err := keyring.Get(KeyringService, KeyringAccount(serverURL, user))
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoKeyringSecret
	}
	if err != nil {
		return "", fmt.Errorf("pacs: OS keyring: %w", err)
	}
	return s, nil
}

// SetKeyringSecret keeps a password or token in the OS keyring.
func SetKeyringSecret(serverURL, user, secret string) error {
	if err := keyring.Set(KeyringService, KeyringAccount(serverURL, user), secret); err != nil {
		return fmt.Errorf("pacs: OS keyring: %w", err)
	}
	return nil
}

// DeleteKeyringSecret removes a secret from the OS keyring.
func DeleteKeyringSecret(serverURL, user string) error {
	err := keyring.Delete(KeyringService, KeyringAccount(serverURL, user))
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pacs: OS keyring: %w", err)
	}
	return nil
}
