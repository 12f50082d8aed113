//go:build cgo

package ort

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// When no library loads, the error names every path tried and why each
// failed; a good library named afterwards still loads (a failed attempt
// leaves nothing behind).
func TestLoadErrorListsAttempts(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	notLib := filepath.Join(dir, "libonnxruntime.so.1")
	if err := os.WriteFile(notLib, []byte("not a shared library"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nowhere", "libonnxruntime.so")
	t.Setenv(EnvLib, notLib)
	_, err := Load(missing)
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("Load = %v, want a *LoadError", err)
	}
	msg := err.Error()
	for _, want := range []string{missing + " (--ort-lib): no such file", notLib + " (" + EnvLib + "): ",
		filepath.Join(dir, "config", "delineate", "lib")} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not say %q:\n%s", want, msg)
		}
	}
	if len(le.Attempts) < 3 || le.Attempts[1].Err == "" || le.Attempts[1].Err == "no such file" {
		t.Errorf("attempts %+v: the second must say why a file that exists did not load", le.Attempts)
	}

	good, _ := filepath.Abs("../../lib/libonnxruntime.so.1")
	if _, err := os.Stat(good); err != nil {
		t.Skipf("ONNX Runtime not set up (run `make deps`): %v", err)
	}
	t.Setenv(EnvLib, good)
	rt, err := Load(missing)
	if err != nil {
		t.Fatalf("after failed attempts, the real library did not load: %v", err)
	}
	if rt.Lib != good || rt.Version == "" {
		t.Errorf("loaded %q version %q", rt.Lib, rt.Version)
	}
	if cuda, why := rt.Devices(); cuda || why == "" {
		t.Errorf("the npm library has no CUDA provider, yet Devices() = %v, %q", cuda, why)
	}
}
