package inference

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"delineate/internal/atomicfile"
)

// EnvModels names an extra models folder.
const EnvModels = "DELINEATE_MODELS"

// UserModelsDir is the user's models folder (File → Add Model… copies
// models into it): $XDG_CONFIG_HOME/delineate/models on Linux.
func UserModelsDir() string {
	d, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "delineate", "models")
}

// ModelDirs is where models are looked for: the folders given (--models),
// $DELINEATE_MODELS, then the user's folder.
func ModelDirs(extra ...string) []string {
	var dirs []string
	for _, d := range extra {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	if e := os.Getenv(EnvModels); e != "" {
		dirs = append(dirs, filepath.SplitList(e)...)
	}
	if u := UserModelsDir(); u != "" {
		dirs = append(dirs, u)
	}
	return dirs
}

// Entry is one model found in a models folder, or why it could not be
// read.
type Entry struct {
	Ref   string `json:"ref"` // what --model takes: a folder or builtin:name
	Model *Model `json:"-"`
	Err   error  `json:"-"`
}

// ListModels lists the built-in models and every folder with a model.json
// directly inside the given folders (a folder that is itself a model is
// listed too). Unreadable descriptions are listed with their error.
func ListModels(dirs []string) []Entry {
	var out []Entry
	for _, n := range BuiltinNames {
		m, _ := BuiltinModel(n)
		out = append(out, Entry{Ref: m.Name, Model: m})
	}
	seen := map[string]bool{}
	add := func(dir string) {
		abs, _ := filepath.Abs(dir)
		if seen[abs] {
			return
		}
		seen[abs] = true
		m, err := LoadModel(dir)
		out = append(out, Entry{Ref: abs, Model: m, Err: err})
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, DescriptionFile)); err == nil {
			add(d)
			continue
		}
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
		for _, e := range ents {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				if _, err := os.Stat(filepath.Join(d, e.Name(), DescriptionFile)); err == nil {
					add(filepath.Join(d, e.Name()))
				}
			}
		}
	}
	return out
}

// ResolveModel turns a --model value into a model: builtin:NAME, a model
// folder, or the name of a model in one of dirs.
func ResolveModel(ref string, dirs []string) (*Model, error) {
	if strings.HasPrefix(ref, BuiltinPrefix) {
		return BuiltinModel(ref)
	}
	if st, err := os.Stat(ref); err == nil && st.IsDir() {
		return LoadModel(ref)
	}
	for _, e := range ListModels(dirs) {
		if e.Model != nil && (e.Model.Name == ref || filepath.Base(e.Ref) == ref) {
			return e.Model, nil
		}
	}
	return nil, fmt.Errorf("model %q: not a model folder, and no model of that name in %s", ref, strings.Join(dirs, ", "))
}

// AddModel copies a model folder into root (the user's models folder):
// the description and every file it names (checked against their sha256
// first), into root/NAME, written into a temporary folder and renamed, so
// a failed copy leaves nothing half-made. A first-stage model is added
// beside it. It refuses a name that is already there.
func AddModel(src, root string) (string, error) {
	m, err := LoadModel(src)
	if err != nil {
		return "", err
	}
	if err := m.VerifyFiles(); err != nil {
		return "", err
	}
	name := safeName(m.Name)
	dest := filepath.Join(root, name)
	if _, err := os.Stat(dest); err == nil {
		return "", fmt.Errorf("a model named %q is already in %s (remove it first)", name, root)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	var fsName string
	if m.FirstStage != nil {
		fm, err := LoadModel(m.Resolve(m.FirstStage.Model))
		if err != nil {
			return "", fmt.Errorf("first stage: %w", err)
		}
		fsName = safeName(fm.Name)
		if _, err := os.Stat(filepath.Join(root, fsName)); errors.Is(err, os.ErrNotExist) {
			if _, err := AddModel(m.Resolve(m.FirstStage.Model), root); err != nil {
				return "", fmt.Errorf("first stage: %w", err)
			}
		}
	}
	tmp, err := os.MkdirTemp(root, ".add-"+name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	raw, err := os.ReadFile(filepath.Join(m.Dir, DescriptionFile))
	if err != nil {
		return "", err
	}
	var desc map[string]any
	if err := json.Unmarshal(raw, &desc); err != nil {
		return "", err
	}
	used := map[string]bool{}
	var files []any
	for _, f := range m.Files {
		base := filepath.Base(f.Path)
		for used[base] {
			base = "_" + base
		}
		used[base] = true
		if err := atomicfile.CopyNew(m.Resolve(f.Path), filepath.Join(tmp, base)); err != nil {
			return "", err
		}
		files = append(files, map[string]any{"path": base, "sha256": f.SHA256, "role": f.Role})
	}
	desc["files"] = files
	if m.LabelsFile != "" {
		base := "labels-" + filepath.Base(m.LabelsFile)
		if err := atomicfile.CopyNew(m.Resolve(m.LabelsFile), filepath.Join(tmp, base)); err != nil {
			return "", err
		}
		desc["labels_file"] = base
	}
	if fsName != "" {
		fs := desc["first_stage"].(map[string]any)
		fs["model"] = "../" + fsName
	}
	b, _ := json.MarshalIndent(desc, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(tmp, DescriptionFile), append(b, '\n'), 0o644); err != nil {
		return "", err
	}
	if _, err := LoadModel(tmp); err != nil {
		return "", fmt.Errorf("copied description does not load: %w", err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return "", err
	}
	return dest, nil
}

func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, s)
	s = strings.Trim(s, ".-")
	if s == "" {
		s = "model"
	}
	return s
}
