package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"delineate/project"
	"delineate/project/nnunet"
)

// runExport: `export nnunet PROJECT --out ROOT --id N --name NAME`, and
// the labelstudio and seg exports.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "labelstudio" {
		return runExportLabelStudio(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "seg" {
		return runExportSEG(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "nnunet" {
		return usageErrorf("export takes nnunet PROJECT --out ROOT --id N --name NAME, labelstudio PROJECT|IMAGE --out OUT, or seg IMAGE LABELS --out SEG.dcm")
	}
	fs := flag.NewFlagSet("export nnunet", flag.ContinueOnError)
	out := fs.String("out", "", "nnU-Net raw folder to write DatasetNNN_NAME into")
	id := fs.Int("id", 0, "dataset id, 1..999")
	name := fs.String("name", "", "dataset name (no spaces)")
	status := fs.String("status", "done", "comma-separated review statuses to export")
	channel := fs.String("channel", "", "channel name (default: CT for CT images)")
	overwrite := fs.Bool("overwrite", false, "replace an existing dataset folder")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" || *id == 0 || *name == "" {
		return usageErrorf("export nnunet takes PROJECT, --out, --id and --name")
	}
	sts, err := project.ParseStatuses(*status)
	if err != nil {
		return usageErrorf("--status: %v", err)
	}
	p, err := project.Open(pos[0])
	if err != nil {
		return err
	}
	defer p.Close()
	dir, rep, err := nnunet.Export(ctx, p, nnunet.ExportOptions{Root: *out, ID: *id, Name: *name, Statuses: sts, Channel: *channel, Overwrite: *overwrite,
		Progress: func(done, total int) { fmt.Fprintf(stderr, "\r%d/%d cases", done, total) }})
	fmt.Fprintln(stderr)
	if rep != nil {
		for _, f := range rep.Findings {
			fmt.Fprintln(stderr, f.Message)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d training cases, verified with nnU-Net's integrity checks\n", dir, rep.Cases)
	return nil
}
