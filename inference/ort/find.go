package ort

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Candidate is one place the ONNX Runtime library may be.
type Candidate struct {
	Path   string `json:"path"`
	Source string `json:"source"` // --ort-lib, DELINEATE_ORT_LIB, next to the binary, setup location
}

// Attempt is a candidate tried and what happened.
type Attempt struct {
	Candidate
	Err string `json:"error,omitempty"`
}

// EnvLib is the environment variable naming the library, for a user who
// brings a GPU build of ONNX Runtime.
const EnvLib = "DELINEATE_ORT_LIB"

// libNames are the file names of the library on this platform, most
// specific first.
func libNames() []string {
	switch runtime.GOOS {
	case "windows":
		return []string{"onnxruntime.dll"}
	case "darwin":
		return []string{"libonnxruntime.dylib", "libonnxruntime.1.dylib"}
	default:
		return []string{"libonnxruntime.so.1", "libonnxruntime.so"}
	}
}

// Candidates lists where to look, in order: the flag, the environment
// variable, the binary's own folder, then where the setup script puts it
// (lib/ beside the binary's bin/, and the user's data folder).
func Candidates(flag string) []Candidate {
	var c []Candidate
	if flag != "" {
		c = append(c, Candidate{flag, "--ort-lib"})
	}
	if env := os.Getenv(EnvLib); env != "" {
		c = append(c, Candidate{env, EnvLib})
	}
	if exe, err := os.Executable(); err == nil {
		if r, err := filepath.EvalSymlinks(exe); err == nil {
			exe = r
		}
		dir := filepath.Dir(exe)
		for _, n := range libNames() {
			c = append(c, Candidate{filepath.Join(dir, n), "next to the binary"})
		}
		for _, n := range libNames() {
			c = append(c, Candidate{filepath.Join(filepath.Dir(dir), "lib", n), "setup location"})
		}
	}
	if d, err := os.UserConfigDir(); err == nil {
		for _, n := range libNames() {
			c = append(c, Candidate{filepath.Join(d, "delineate", "lib", n), "setup location"})
		}
	}
	return dedupe(c)
}

func dedupe(c []Candidate) []Candidate {
	seen := map[string]bool{}
	out := c[:0]
	for _, x := range c {
		if !seen[x.Path] {
			seen[x.Path] = true
			out = append(out, x)
		}
	}
	return out
}

// LoadError says that no candidate loaded, and why each failed.
type LoadError struct{ Attempts []Attempt }

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("ONNX Runtime library not loaded; models are unavailable (set " + EnvLib + " or --ort-lib to libonnxruntime). Tried:")
	for _, a := range e.Attempts {
		b.WriteString("\n  " + a.Path + " (" + a.Source + "): " + a.Err)
	}
	if len(e.Attempts) == 0 {
		b.WriteString(" nothing")
	}
	return b.String()
}
