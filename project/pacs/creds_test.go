package pacs

import (
	"errors"
	"testing"

	"github.com/zalando/go-keyring"
)

func TestKeyring(t *testing.T) {
	keyring.MockInit() // in memory: no Secret Service in tests
	u := "https://pacs.example:8443/dicom-web?x=1"
	if _, err := KeyringSecret(u, "alice"); !errors.Is(err, ErrNoKeyringSecret) {
		t.Fatalf("empty keyring: %v", err)
	}
	if err := SetKeyringSecret(u, "alice", "pw-1"); err != nil {
		t.Fatal(err)
	}
	if s, err := KeyringSecret("https://pacs.example:8443/dicom-web", "alice"); err != nil || s != "pw-1" {
		t.Errorf("got %q %v (the query is not part of the account)", s, err)
	}
	if got := KeyringAccount(u, "alice"); got != "alice@https://pacs.example:8443/dicom-web" {
		t.Errorf("account %q", got)
	}
	if err := DeleteKeyringSecret(u, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := DeleteKeyringSecret(u, "alice"); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	if _, err := KeyringSecret(u, "alice"); !errors.Is(err, ErrNoKeyringSecret) {
		t.Errorf("after delete: %v", err)
	}
}
