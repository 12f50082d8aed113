package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"delineate/project/pacs"
)

// pacsServer is a DICOMweb server the user set up. The list lives in the
// app's preferences; a password or token never does: it is kept in the
// system keyring when the user asks, else for this session only.
type pacsServer struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	Auth   string `json:"auth"` // "none", "basic" or "token"
	User   string `json:"user,omitempty"`
	CAFile string `json:"ca_file,omitempty"`
	// SecretFile names a file whose first line is the password or token
	// (as the CLI's --password-file): a path, not a secret.
	SecretFile string `json:"secret_file,omitempty"`
}

const pacsServersKey = "pacs.servers"

func (s pacsServer) label() string {
	if s.Name != "" {
		return s.Name
	}
	return s.URL
}

func (ws *Workstation) pacsServers() []pacsServer {
	var list []pacsServer
	_ = json.Unmarshal([]byte(ws.app.Preferences().String(pacsServersKey)), &list)
	return list
}

func (ws *Workstation) savePACSServers(list []pacsServer) {
	b, _ := json.Marshal(list)
	ws.app.Preferences().SetString(pacsServersKey, string(b))
}

// secretKey names a server's secret in the session map and the keyring.
func (s pacsServer) secretKey() string { return s.URL + "\x00" + s.User + "\x00" + s.Auth }

// pacsClient builds a client for s with its secret: from this session,
// else from the keyring.
func (ws *Workstation) pacsClient(s pacsServer) (*pacs.Client, error) {
	cfg := pacs.Config{URL: s.URL, CAFile: s.CAFile}
	if s.Auth != "none" && s.Auth != "" {
		secret, ok := ws.pacsSecrets[s.secretKey()]
		switch {
		case ok:
		case s.SecretFile != "":
			var err error
			if secret, _, err = pacs.ReadSecretFile(s.SecretFile); err != nil {
				return nil, fmt.Errorf("the password file of %s: %w", s.label(), err)
			}
		default:
			var err error
			if secret, err = pacs.KeyringSecret(s.URL, s.keyringUser()); err != nil || secret == "" {
				return nil, fmt.Errorf("no password or token for %s: enter it with Edit…", s.label())
			}
		}
		if s.Auth == "token" {
			cfg.Auth.Token = secret
		} else {
			cfg.Auth.Username, cfg.Auth.Password = s.User, secret
		}
	}
	if ws.pacsTransport != nil {
		cfg.Transport = ws.pacsTransport
	}
	return pacs.New(cfg)
}

// keyringUser is the account a token is kept under (a token has no user).
func (s pacsServer) keyringUser() string {
	if s.Auth == "token" {
		return "token"
	}
	return s.User
}

// editPACSServer asks for a server's settings (s: the one to change, or a
// new one) and its secret; done gets the saved server.
func (ws *Workstation) editPACSServer(parent fyne.Window, s pacsServer, done func(pacsServer)) {
	name, url, user, ca, secretFile := widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	secretFile.SetText(s.SecretFile)
	secretFile.SetPlaceHolder("or a file whose first line is it")
	name.SetText(s.Name)
	url.SetText(s.URL)
	url.SetPlaceHolder("https://pacs.example.org/dicom-web")
	user.SetText(s.User)
	ca.SetText(s.CAFile)
	ca.SetPlaceHolder("PEM file of CA certificates (empty: the system's)")
	secret := widget.NewPasswordEntry()
	secret.SetPlaceHolder("password or token (kept out of the preferences)")
	auth := widget.NewSelect([]string{"none", "basic", "token"}, nil)
	if s.Auth == "" {
		s.Auth = "basic"
	}
	auth.SetSelected(s.Auth)
	remember := widget.NewCheck("Remember it in the system keyring (else for this session only)", nil)
	form := widget.NewForm(
		widget.NewFormItem("Name", name),
		widget.NewFormItem("DICOMweb URL", url),
		widget.NewFormItem("Authentication", auth),
		widget.NewFormItem("User", user),
		widget.NewFormItem("Password / token", secret),
		widget.NewFormItem("", remember),
		widget.NewFormItem("Password file", secretFile),
		widget.NewFormItem("CA file", ca),
	)
	d := dialog.NewCustomConfirm("DICOMweb server", "Save", "Cancel", form, func(ok bool) {
		if !ok {
			return
		}
		n := pacsServer{Name: strings.TrimSpace(name.Text), URL: strings.TrimSpace(url.Text), Auth: auth.Selected,
			User: strings.TrimSpace(user.Text), CAFile: strings.TrimSpace(ca.Text), SecretFile: strings.TrimSpace(secretFile.Text)}
		if _, err := pacs.New(pacs.Config{URL: n.URL, CAFile: n.CAFile}); err != nil {
			dialog.ShowError(err, parent)
			return
		}
		if n.Auth == "basic" && n.User == "" {
			dialog.ShowError(errors.New("basic authentication needs a user name"), parent)
			return
		}
		if sec := secret.Text; sec != "" && n.Auth != "none" {
			if ws.pacsSecrets == nil {
				ws.pacsSecrets = map[string]string{}
			}
			ws.pacsSecrets[n.secretKey()] = sec
			if remember.Checked {
				if err := pacs.SetKeyringSecret(n.URL, n.keyringUser(), sec); err != nil {
					dialog.ShowError(fmt.Errorf("the system keyring refused the secret (%v): it is kept for this session only", err), parent)
				}
			}
		}
		list := ws.pacsServers()
		replaced := false
		for i := range list {
			if list[i].URL == s.URL && list[i].Name == s.Name {
				list[i], replaced = n, true
			}
		}
		if !replaced {
			list = append(list, n)
		}
		ws.savePACSServers(list)
		done(n)
	}, parent)
	d.Resize(fyne.NewSize(620, 420))
	d.Show()
}

// serverPicker is a server select with an edit button, shared by the
// browser and the send dialog.
func (ws *Workstation) serverPicker(parent fyne.Window, onChange func(pacsServer)) (fyne.CanvasObject, func() (pacsServer, bool)) {
	var list []pacsServer
	sel := widget.NewSelect(nil, nil)
	reload := func(pick string) {
		list = ws.pacsServers()
		names := make([]string, len(list))
		for i, s := range list {
			names[i] = s.label()
		}
		sel.Options = names
		switch {
		case pick != "":
			sel.SetSelected(pick)
		case len(names) > 0 && sel.Selected == "":
			sel.SetSelected(names[0])
		}
		sel.Refresh()
	}
	current := func() (pacsServer, bool) {
		for _, s := range list {
			if s.label() == sel.Selected {
				return s, true
			}
		}
		return pacsServer{}, false
	}
	sel.OnChanged = func(string) {
		if s, ok := current(); ok && onChange != nil {
			onChange(s)
		}
	}
	sel.PlaceHolder = "no server yet: Add…"
	reload(ws.app.Preferences().String("pacs.last"))
	edit := widget.NewButton("Edit…", func() {
		s, _ := current()
		ws.editPACSServer(parent, s, func(n pacsServer) { reload(n.label()) })
	})
	add := widget.NewButton("Add…", func() {
		ws.editPACSServer(parent, pacsServer{}, func(n pacsServer) { reload(n.label()) })
	})
	return container.NewBorder(nil, nil, nil, container.NewHBox(edit, add), sel), current
}
