package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"delineate/inference"
	"delineate/project"
	"delineate/viewer"
	"delineate/viewer/labels"
	"delineate/viewer/nifti"
)

// runProject: `project new|add|status|set`.
func runProject(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("project needs a subcommand: new, add, status or set")
	}
	switch args[0] {
	case "new":
		return projectNew(args[1:], stdout)
	case "add":
		return projectAdd(args[1:], stdout, stderr)
	case "status":
		return projectStatus(args[1:], stdout)
	case "set":
		return projectSet(args[1:], stdout)
	}
	return usageErrorf("unknown project subcommand %q", args[0])
}

func projectNew(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("project new", flag.ContinueOnError)
	names := fs.String("labels", "", "label names: ITK-SNAP label file, Slicer colour table or JSON id→name")
	from := fs.String("from", "", "take the label ids from a label map (NIfTI)")
	name := fs.String("name", "", "project name (default: the folder's name)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("project new takes DIR")
	}
	var table *viewer.LabelTable
	switch {
	case *names != "" && *from != "":
		return usageErrorf("give --labels or --from, not both")
	case *names != "":
		if table, err = labels.ReadTable(*names); err != nil {
			return fmt.Errorf("labels: %w", err)
		}
	case *from != "":
		if table, err = tableFromLabelMap(*from); err != nil {
			return err
		}
	}
	p, err := project.Create(pos[0], *name, table)
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(stdout, "created project %s with %d labels\n", p.Dir(), len(p.Labels))
	return nil
}

// tableFromLabelMap names the ids present in a label map "label N", with
// the viewer's default colours, and the map's own table where it has one.
func tableFromLabelMap(path string) (*viewer.LabelTable, error) {
	v, err := nifti.Read(path)
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	lm, err := viewer.LabelMapFromVolume(v)
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	return project.TableOf(lm), nil
}

func projectAdd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("project add", flag.ContinueOnError)
	labelPath := fs.String("labels", "", "label map of the (one) image")
	statusFlag := fs.String("status", "todo", "review status of the new cases")
	reportPath := fs.String("report", "", "run report of the model that wrote --labels (segment --report): recorded in the case's provenance")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usageErrorf("project add takes DIR and at least one IMAGE")
	}
	status, err := project.ParseStatus(*statusFlag)
	if err != nil {
		return usageErrorf("--status: %v", err)
	}
	var images []string
	for _, p := range pos[1:] {
		found, err := project.FindStudies(p, pos[0])
		if err != nil {
			return err
		}
		images = append(images, found...)
	}
	if *labelPath != "" && len(images) != 1 {
		return usageErrorf("--labels goes with exactly one image (%d found)", len(images))
	}
	if *reportPath != "" && *labelPath == "" {
		return usageErrorf("--report goes with --labels (the labels the run wrote)")
	}
	var rep *inference.Report
	if *reportPath != "" {
		if rep, err = reportOf(*reportPath, *labelPath); err != nil {
			return err
		}
	}
	p, err := project.Open(pos[0])
	if err != nil {
		return err
	}
	defer p.Close()
	if why := p.ReadOnly(); why != "" {
		return fmt.Errorf("cannot add: %s", why)
	}
	for _, img := range images {
		c, err := p.AddCase(img, status)
		if err != nil {
			return fmt.Errorf("%s: %w (nothing was added)", img, err)
		}
		if *labelPath != "" {
			if err := attachLabels(p, c, img, *labelPath); err != nil {
				return err
			}
		}
		if rep != nil {
			if err := attachRun(p, c, rep); err != nil {
				return err
			}
		}
		fmt.Fprintf(stderr, "%s  %s\n", c.ID, img)
	}
	if err := p.Save(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %d case(s); %d in the project\n", len(images), len(p.Cases))
	return nil
}

// attachLabels copies a label map into the project after checking that it
// lies on the image's grid.
func attachLabels(p *project.Project, c *project.Case, img, labelPath string) error {
	vol, err := project.LoadImage(context.Background(), img)
	if err != nil {
		return fmt.Errorf("%s: %w", img, err)
	}
	if _, err := project.LabelsOn(vol, labelPath); err != nil {
		return fmt.Errorf("%w: nothing was added", err)
	}
	if err := os.MkdirAll(filepath.Join(p.Dir(), "labels"), 0o755); err != nil {
		return err
	}
	rel := "labels/" + c.ID + ".nii.gz"
	b, err := os.ReadFile(labelPath)
	if err != nil {
		return err
	}
	if !strings.HasSuffix(strings.ToLower(labelPath), ".gz") {
		rel = "labels/" + c.ID + ".nii"
	}
	if err := project.WriteFileAtomic(p.Resolve(rel), b, 0o644); err != nil {
		return err
	}
	c.Labels = rel
	return nil
}

// reportOf reads a run report and checks that it describes labels (its
// output hash), so a report is never filed against labels it did not write.
func reportOf(path, labels string) (*inference.Report, error) {
	rep, err := inference.ReadReport(path)
	if err != nil {
		return nil, fmt.Errorf("--report: %w", err)
	}
	sum, err := inference.FileSHA256(labels)
	if err != nil {
		return nil, err
	}
	if rep.Output.SHA256 != "" && rep.Output.SHA256 != sum {
		return nil, fmt.Errorf("--report %s describes another output (sha256 %.12s…, %s is %.12s…): nothing was added", path, rep.Output.SHA256, labels, sum)
	}
	return rep, nil
}

// attachRun files a run report in the project (runs/CASE_N.json) and
// records the run in the case's provenance: the labels it wrote are a
// model's.
func attachRun(p *project.Project, c *project.Case, rep *inference.Report) error {
	rel := fmt.Sprintf("runs/%s_%d.json", c.ID, len(c.Provenance.Runs)+1)
	if err := os.MkdirAll(filepath.Join(p.Dir(), "runs"), 0o755); err != nil {
		return err
	}
	if err := inference.WriteReport(p.Resolve(rel), rep); err != nil {
		return err
	}
	run := project.ModelRun{Model: rep.Model.Name, Version: rep.Model.Version, Device: rep.Device.Used, Time: rep.Created, Report: rel}
	for _, f := range rep.Model.Files {
		run.SHA256 = append(run.SHA256, f.SHA256)
	}
	for _, l := range rep.Labels {
		if l.ID != 0 {
			run.Labels = append(run.Labels, l.ID)
			run.Voxels += l.Voxels
		}
	}
	c.RecordRun(run)
	return nil
}

func projectStatus(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("project status", flag.ContinueOnError)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("project status takes DIR")
	}
	p, err := project.Open(pos[0])
	if err != nil {
		return err
	}
	defer p.Close()
	s := p.Summarise()
	out := struct {
		project.Summary
		ReadOnly string `json:"read_only,omitempty"`
	}{s, p.ReadOnly()}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func projectSet(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("project set", flag.ContinueOnError)
	statusFlag := fs.String("status", "", "new review status")
	notes := fs.String("notes", "", "replace the case's notes")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || (*statusFlag == "" && *notes == "") {
		return usageErrorf("project set takes DIR CASE and --status or --notes")
	}
	p, err := project.Open(pos[0])
	if err != nil {
		return err
	}
	defer p.Close()
	if why := p.ReadOnly(); why != "" {
		return fmt.Errorf("cannot change it: %s", why)
	}
	c := p.Case(pos[1])
	if c == nil {
		return fmt.Errorf("no case %q in %s", pos[1], pos[0])
	}
	if *statusFlag != "" {
		s, err := project.ParseStatus(*statusFlag)
		if err != nil {
			return usageErrorf("--status: %v", err)
		}
		if err := p.SetStatus(c.ID, s); err != nil {
			return err
		}
	}
	if *notes != "" {
		c.Notes = *notes
	}
	if err := p.Save(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", c.ID, c.Status)
	return nil
}
