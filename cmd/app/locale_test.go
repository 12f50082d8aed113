package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestHelperMain is the CLI run in a child process (see
// TestNoToolkitNoiseOnStderr); it does nothing in a normal test run.
func TestHelperMain(t *testing.T) {
	args := os.Getenv("DELINEATE_HELPER_ARGS")
	if args == "" {
		t.Skip("only as a child process")
	}
	os.Exit(run(t.Context(), strings.Split(args, "|"), os.Stdout, os.Stderr))
}

// Under the Debian default locale (LANG=C.UTF-8) a CLI command prints
// nothing of the GUI toolkit on stderr: Fyne's locale lookup used to log
// "Error parsing user locale C" at start-up, before main.
func TestNoToolkitNoiseOnStderr(t *testing.T) {
	for _, env := range [][]string{{"LANG=C.UTF-8"}, {"LC_ALL=C", "LANG="}, {"LANG=POSIX"}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMain$")
		cmd.Env = append(os.Environ(), "LC_ALL=", "LC_MESSAGES=", "DELINEATE_HELPER_ARGS=info|../../testdata/dicom/signed")
		cmd.Env = append(cmd.Env, env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v\n%s", env, err, stderr.String())
		}
		if strings.Contains(stderr.String(), "Fyne") || strings.Contains(stderr.String(), "locale") {
			t.Errorf("%v: stderr has toolkit noise:\n%s", env, stderr.String())
		}
		if !strings.Contains(string(out), "\"series\"") && !strings.Contains(string(out), "Series") {
			t.Errorf("%v: info printed %q", env, out)
		}
	}
}
