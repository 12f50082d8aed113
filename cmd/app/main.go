// Command delineate is the Delineate application: with no arguments (or a
// study path) it opens the workstation window; with a subcommand it does
// the same jobs from the command line, printing JSON where the job produces
// data, so that scripts and tests drive exactly the code the GUI uses.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	_ "delineate/internal/locale" // before Fyne initialises: see its doc
)

// command is one CLI subcommand.
type command struct {
	name, usage, help string
	run               func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"info", "info PATH [--phi]", "list the series in a DICOM folder/file or NIfTI file as JSON", runInfo},
	{"convert", "convert PATH OUT.nii[.gz] [--series N] [--force] [--raw-stack]", "write a series as NIfTI (dcm2niix-compatible orientation; 4D for several volumes); a DICOM SEG as a label map, names and colours in OUT.labels.txt", runConvert},
	{"stats", "stats IMAGE LABELS.nii[.gz] [--names NAMES] [--series N]", "per-label voxels, volume (ml) and intensity mean/std/min/max as JSON", runStats},
	{"segment", "segment --model DIR|NAME|builtin:ct-tissue IMAGE OUT.nii.gz [--device auto|cpu|cuda] [--report RUN.json] [--threads N] [--max-memory 2G] [--models DIR] [--ort-lib LIB] [--series N] [--force]", "run a segmentation model in the background of the CLI, with progress on stderr", runSegment},
	{"models", "models list [--dir D] | models check DIR [--json] | models add DIR [--dir D]", "list model folders, check a description against its ONNX file, copy a model into the user's folder", runModels},
	{"verify", "verify run RUN.json | verify nnunet DATASET", "re-check a run report against the files on disk, or an nnU-Net v2 dataset with nnU-Net's own integrity checks (exit 1 on any error)", runVerify},
	{"project", "project new DIR [--labels NAMES | --from LABELS.nii.gz] [--name N] | project add DIR IMAGE... [--labels L.nii.gz [--report RUN.json]] [--status S] | project status DIR | project set DIR CASE --status S [--notes T]", "annotation projects: create, add studies, status as JSON, set a case's review status", runProject},
	{"export", "export nnunet PROJECT --out ROOT --id N --name NAME [--status done] [--channel CT] [--overwrite] | export labelstudio PROJECT|IMAGE --out OUT [--labels L.nii.gz] [--names NAMES] [--plane axial|coronal|sagittal] [--window PRESET|C,W] [--slices labelled|all|A:B] [--from-name tag] [--to-name image] [--model-version V] [--score S] [--min-pixels N] [--url-prefix P] | export seg (IMAGE LABELS.nii.gz | --project DIR --case ID) --out SEG.dcm [--names NAMES] [--series N] [--force] [--algorithm-type T] [--algorithm-name N] [--description D] [--series-number N] [--creator Family^Given]", "write a project's reviewed cases as a verified nnU-Net v2 dataset, labels as Label Studio brush predictions, or labels as a DICOM SEG of their DICOM series (for a PACS, OHIF, Slicer)", runExport},
	{"detect", "detect --model DIR|FILE.onnx IMAGE [--prompt \"a, b\" [--text-encoder DIR --vocab BPE.txt.gz]] [--slices A:B] [--plane axial] [--conf 0.25] [--iou 0.7] [--window PRESET|C,W|P1,P2,P3] --out DETS.json [--csv DETS.csv] [--masks OUT.nii.gz]", "find objects with a YOLO-family export: detections in voxels and mm, 3D findings, masks", runDetect},
	{"prompt", "prompt --model DIR IMAGE [--plane axial] (--point i,j,k[,fg|bg]... | --box i0,j0,i1,j1,k) [--propagate] [--window PRESET|C,W] --out MASK.nii.gz", "segment what a point or box shows with a SAM-family export (voxel indices), optionally through neighbouring slices", runPrompt},
	{"labelstudio", "labelstudio upload --url URL --project-id N --token-file F [--token-type auto|pat|legacy] --tasks OUT/tasks.json [--dry-run] [--include-annotated] [--replace-same-version] [--import-urls] | labelstudio pull (--url URL --project-id N --token-file F | --from-file EXPORT.json) [--tasks OUT/tasks.json] (--into PROJECT | --image IMAGE --out LABELS.nii.gz [--labels BASE])", "post predictions to a Label Studio project without touching a person's work; bring reviewed annotations back", runLabelStudio},
	{"import", "import nnunet DATASET PROJECT", "turn an nnU-Net dataset (v2 Dataset or v1 Task folder) into a new project", runImport},
	{"pacs", "pacs query --url URL [--user U --password-file F | --token-file F] [--ca-file F] [--patient-id ID] [--patient-name N] [--modality CT] [--date A-B] [--accession A] [--study UID] [--level study|series|instance] [--limit N] [--json] [--phi] | pacs retrieve --url URL --study UID [--series UID] --out DIR | pacs store --url URL FILE|DIR... | pacs keyring --url URL --user U [--delete]", "find, retrieve and store studies on a DICOMweb server (QIDO-RS, WADO-RS, STOW-RS); passwords and tokens from files or the OS keyring", runPACS},
	{"render", "render PATH --plane axial|coronal|sagittal --index K --window C,W|PRESET --out OUT.png [--labels L.nii.gz|SEG.dcm] [--opacity A] [--series N]", "render one slice to PNG, one pixel per voxel", runRender},
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
		return runGUI(guiOptions{})
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
	if _, err := os.Stat(args[0]); err == nil || strings.HasPrefix(args[0], "-") {
		// `delineate [PATH] [--labels L.nii.gz] [--model NAME] [--models DIR]`
		// opens the window.
		var g guiOptions
		fs := flag.NewFlagSet("delineate", flag.ContinueOnError)
		fs.StringVar(&g.labels, "labels", "", "label map (NIfTI, or a DICOM SEG of the series) to open over the study")
		fs.StringVar(&g.model, "model", "", "model to preselect in the AI tab")
		fs.StringVar(&g.models, "models", "", "an extra models folder")
		pos, err := parseArgs(fs, args)
		if err != nil || len(pos) > 1 {
			fmt.Fprintln(stderr, "usage: delineate [PATH] [--labels LABELS.nii.gz] [--model NAME] [--models DIR]")
			return 2
		}
		if len(pos) == 1 {
			g.path = pos[0]
		}
		return runGUI(g)
	}
	fmt.Fprintf(stderr, "delineate: unknown command or missing file %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: delineate [PATH] [--labels L.nii.gz] [--model NAME] [--models DIR]   open the workstation window (the demo phantom without PATH)")
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
