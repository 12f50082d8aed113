// Package orttest loads ONNX Runtime for tests: the library the build
// fetched (lib/libonnxruntime.so.1 at the repository root, found from the
// test's folder upwards) unless DELINEATE_ORT_LIB names another; a test
// skips, saying why, when none loads.
package orttest

import (
	"os"
	"path/filepath"
	"testing"

	"delineate/inference/ort"
)

// Runtime returns the loaded runtime or skips the test.
func Runtime(tb testing.TB) *ort.Runtime {
	tb.Helper()
	lib := ""
	if os.Getenv(ort.EnvLib) == "" {
		lib = Lib()
	}
	rt, err := ort.Load(lib)
	if err != nil {
		tb.Skipf("ONNX Runtime not available (run `make deps`): %v", err)
	}
	return rt
}

// Lib is the repository's lib/libonnxruntime.so.1, searched from the
// working folder upwards; "" when there is none.
func Lib() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "lib", "libonnxruntime.so.1")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}
