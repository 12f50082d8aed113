// Command delineate is the Delineate application: with no arguments (or a
// study path) it opens the workstation window; with a subcommand it does
// the same jobs from the command line, printing JSON where the job produces
// data, so that scripts and tests drive exactly the code the GUI uses.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

// command is one CLI subcommand.
type command struct {
	name, usage, help string
	run               func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"info", "info PATH [--phi]", "list the series in a DICOM folder/file or NIfTI file as JSON", runInfo},
	{"convert", "convert PATH OUT.nii[.gz] [--series N] [--force]", "write a series as NIfTI (dcm2niix-compatible orientation)", runConvert},
	{"stats", "stats IMAGE LABELS.nii[.gz] [--names NAMES] [--series N]", "per-label voxels, volume (ml) and intensity mean/std/min/max as JSON", runStats},
	{"render", "render PATH --plane axial|coronal|sagittal --index K --window C,W|PRESET --out OUT.png [--labels L.nii.gz] [--opacity A] [--series N]", "render one slice to PNG, one pixel per voxel", runRender},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches and maps errors to a message on stderr and exit status 1
// (2 for usage errors).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return runGUI("", "")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			if err == nil {
				return 0
			}
			fmt.Fprintf(stderr, "delineate %s: %v\n", c.name, err)
			var ue usageError
			if errors.As(err, &ue) {
				fmt.Fprintf(stderr, "usage: delineate %s\n", c.usage)
				return 2
			}
			return 1
		}
	}
	if !strings.HasPrefix(args[0], "-") {
		if _, err := os.Stat(args[0]); err == nil {
			// `delineate PATH [--labels L.nii.gz]` opens the study in the window.
			labels := ""
			if len(args) == 3 && args[1] == "--labels" {
				labels = args[2]
			} else if len(args) != 1 {
				fmt.Fprintln(stderr, "usage: delineate [PATH [--labels LABELS.nii.gz]]")
				return 2
			}
			return runGUI(args[0], labels)
		}
	}
	fmt.Fprintf(stderr, "delineate: unknown command or missing file %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: delineate [PATH [--labels L.nii.gz]]   open the workstation window (the demo phantom without PATH)")
	fmt.Fprintln(w, "       delineate COMMAND [ARGS]")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n           %s\n", c.name, c.help, c.usage)
	}
}

// usageError marks bad arguments, as opposed to a failure doing the job.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}
