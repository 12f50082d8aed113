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
	"time"

	"delineate/project"
	"delineate/project/labelstudio"
	"delineate/viewer"
	"delineate/viewer/labels"
)

func isProject(path string) bool {
	_, err := os.Stat(filepath.Join(path, project.FileName))
	return err == nil
}

// projectLabels converts a viewer label table into the project's form.
func projectLabels(t *viewer.LabelTable) []project.Label {
	var out []project.Label
	for _, l := range t.Labels {
		out = append(out, project.Label{ID: l.ID, Name: l.Name, Colour: fmt.Sprintf("#%02x%02x%02x", l.Colour.R, l.Colour.G, l.Colour.B)})
	}
	return out
}

// runExportLabelStudio: `export labelstudio PROJECT|IMAGE --out OUT …`.
func runExportLabelStudio(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export labelstudio", flag.ContinueOnError)
	out := fs.String("out", "", "export folder (images/, config.xml, tasks.json)")
	labelPath := fs.String("labels", "", "label map of IMAGE")
	namesPath := fs.String("names", "", "label names of IMAGE's labels: ITK-SNAP, Slicer colour table or JSON id→name")
	planeS := fs.String("plane", "axial", "axial, coronal or sagittal")
	windowS := fs.String("window", "", "C,W or a preset (soft, lung, bone, brain, …); default: the image's")
	slicesS := fs.String("slices", "labelled", "labelled, all or A:B (0-based, inclusive)")
	fromName := fs.String("from-name", "tag", "the BrushLabels tag's name")
	toName := fs.String("to-name", "image", "the Image tag's name")
	version := fs.String("model-version", "delineate", "model_version of the predictions")
	score := fs.Float64("score", 1, "score of the predictions")
	minPixels := fs.Int("min-pixels", 1, "leave out labels with fewer pixels on a slice")
	prefix := fs.String("url-prefix", "/data/local-files/?d=images/", "prefix of the task image URLs")
	status := fs.String("status", "", "project: only cases with these comma-separated statuses (default: every case with labels)")
	overwrite := fs.Bool("overwrite", false, "replace an existing export folder")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return usageErrorf("export labelstudio takes PROJECT or IMAGE, and --out")
	}
	plane, err := viewer.ParsePlane(*planeS)
	if err != nil {
		return usageErrorf("%v", err)
	}
	slices, err := labelstudio.ParseSlices(*slicesS)
	if err != nil {
		return usageErrorf("--slices: %v", err)
	}
	o := labelstudio.ExportOptions{Plane: plane, Slices: slices, FromName: *fromName, ToName: *toName, ModelVersion: *version,
		Score: *score, MinPixels: *minPixels, URLPrefix: *prefix, Overwrite: *overwrite,
		Progress: func(done, total int) {
			if done == total || done%20 == 0 {
				fmt.Fprintf(stderr, "\r%d/%d slices", done, total)
			}
		}}
	var items []labelstudio.Item
	var table []project.Label
	if isProject(pos[0]) {
		if *labelPath != "" || *namesPath != "" {
			return usageErrorf("--labels and --names go with an IMAGE; a project has its own")
		}
		p, err := project.Open(pos[0])
		if err != nil {
			return err
		}
		defer p.Close()
		table = p.Labels
		sts, err := project.ParseStatuses(*status)
		if err != nil {
			return usageErrorf("--status: %v", err)
		}
		if items, err = labelstudio.ProjectItems(ctx, p, sts); err != nil {
			return err
		}
	} else {
		vol, err := project.LoadImage(ctx, pos[0])
		if err != nil {
			return err
		}
		it := labelstudio.Item{Case: "case_0001", Volume: vol}
		if *labelPath != "" {
			if it.Labels, err = project.LabelsOn(vol, *labelPath); err != nil {
				return err
			}
			lm, err := viewer.LabelMapFromVolume(it.Labels)
			if err != nil {
				return err
			}
			t := project.TableOf(lm)
			if *namesPath != "" {
				names, err := labels.ReadTable(*namesPath)
				if err != nil {
					return fmt.Errorf("--names: %w", err)
				}
				for i, l := range t.Labels {
					if n, ok := names.Get(l.ID); ok {
						t.Labels[i].Name = n.Name
						t.Labels[i].Colour = n.Colour
					}
				}
			}
			table = projectLabels(t)
		}
		items = append(items, it)
	}
	if *windowS != "" {
		w, err := viewer.ParseWindow(*windowS, items[0].Volume)
		if err != nil {
			return usageErrorf("--window: %v", err)
		}
		o.Window, o.WindowName = &w, *windowS
	}
	start := time.Now()
	sum, err := labelstudio.Export(ctx, *out, items, table, o)
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d tasks, %d brush results, in %.1f s\n", sum.Out, sum.Tasks, sum.Results, time.Since(start).Seconds())
	return nil
}

// runLabelStudio: `labelstudio pull|upload`.
func runLabelStudio(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("labelstudio needs a subcommand: upload or pull")
	}
	switch args[0] {
	case "pull":
		return labelStudioPull(ctx, args[1:], stdout, stderr)
	case "upload":
		return labelStudioUpload(ctx, args[1:], stdout, stderr)
	}
	return usageErrorf("labelstudio: unknown subcommand %q (upload or pull)", args[0])
}

func labelStudioPull(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("labelstudio pull", flag.ContinueOnError)
	from := fs.String("from-file", "", "a Label Studio JSON export (tasks with annotations)")
	into := fs.String("into", "", "project: the annotations land in their cases as predictions to review")
	image := fs.String("image", "", "the image the tasks were exported from (with --out)")
	out := fs.String("out", "", "label map to write on IMAGE's grid")
	base := fs.String("labels", "", "with --image: start from this label map (slices not annotated keep it)")
	namesPath := fs.String("names", "", "with --image: label names for labels the task meta does not name")
	force := fs.Bool("force", false, "overwrite --out if it exists")
	localPath := fs.String("tasks", "", "the export's tasks.json: maps tasks the server made from uploaded images (no meta of their own) back to voxels")
	var sc serverFlags
	sc.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageErrorf("labelstudio pull takes flags only")
	}
	if (*into == "") == (*image == "") || (*image != "" && *out == "") || (*into != "" && (*out != "" || *base != "")) {
		return usageErrorf("labelstudio pull takes --into PROJECT, or --image IMAGE --out LABELS.nii.gz")
	}
	if (*from == "") == (sc.url == "") {
		return usageErrorf("labelstudio pull reads --from-file EXPORT.json or a server (--url, --project-id, --token…)")
	}
	var tasks []labelstudio.Task
	if *from != "" {
		if tasks, err = labelstudio.ReadTasks(*from); err != nil {
			return err
		}
	} else {
		cl, err := sc.client(stderr)
		if err != nil {
			return err
		}
		if tasks, err = cl.Tasks(ctx, sc.projectID); err != nil {
			return err
		}
	}
	var local map[string]*labelstudio.Meta
	if *localPath != "" {
		lt, err := labelstudio.ReadTasks(*localPath)
		if err != nil {
			return fmt.Errorf("--tasks: %w", err)
		}
		local = labelstudio.LocalMeta(lt)
	}
	if *image != "" {
		return pullToImage(ctx, tasks, local, *image, *out, *base, *namesPath, *force, stdout, stderr)
	}
	return pullIntoProject(ctx, tasks, local, *into, stdout, stderr)
}

func printPullSummary(w io.Writer, s *labelstudio.PullSummary) {
	fmt.Fprintf(w, "%d tasks: %d annotated, %d without annotations, %d only cancelled, %d not exported by Delineate; %d brush results",
		s.Tasks, s.Annotated, s.NotAnnotated, s.Cancelled, s.NotDelineate, s.Results)
	if s.Overlaps > 0 {
		fmt.Fprintf(w, ", %d pixels claimed by two labels (the later result kept)", s.Overlaps)
	}
	fmt.Fprintln(w)
}

func pullToImage(ctx context.Context, tasks []labelstudio.Task, local map[string]*labelstudio.Meta, image, out, base, namesPath string, force bool, stdout, stderr io.Writer) error {
	if _, err := os.Stat(out); err == nil && !force {
		return fmt.Errorf("%s exists; pass --force to overwrite it", out)
	}
	vol, err := project.LoadImage(ctx, image)
	if err != nil {
		return err
	}
	var resolve labelstudio.LabelResolver
	if namesPath != "" {
		t, err := labels.ReadTable(namesPath)
		if err != nil {
			return fmt.Errorf("--names: %w", err)
		}
		resolve = labelstudio.ResolverOf(projectLabels(t))
	}
	got, sum, err := labelstudio.Pull(tasks, labelstudio.PullOptions{Resolve: resolve, Local: local})
	if err != nil {
		return err
	}
	printPullSummary(stderr, sum)
	if len(got) != 1 {
		return fmt.Errorf("the tasks hold %d cases; --image takes the tasks of one image (use --into PROJECT)", len(got))
	}
	var rv *labelstudio.Reviewed
	for _, r := range got {
		rv = r
	}
	if rv.Dims != vol.Dims {
		return fmt.Errorf("the tasks were exported from a %v image, %s is %v", rv.Dims, image, vol.Dims)
	}
	ids := make([]uint16, vol.Dims[0]*vol.Dims[1]*vol.Dims[2])
	if base != "" {
		lab, err := project.LabelsOn(vol, base)
		if err != nil {
			return err
		}
		for i := range ids {
			ids[i] = uint16(lab.Data.At(i))
		}
	}
	if err := rv.Apply(ids); err != nil {
		return err
	}
	if err := labelstudio.WriteLabels(out, vol.Geometry, ids, force); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s\n", out, rv.Source())
	return nil
}

func pullIntoProject(ctx context.Context, tasks []labelstudio.Task, local map[string]*labelstudio.Meta, dir string, stdout, stderr io.Writer) error {
	p, err := project.Open(dir)
	if err != nil {
		return err
	}
	defer p.Close()
	pulled, sum, err := labelstudio.IntoProject(ctx, p, tasks, local)
	if sum != nil {
		printPullSummary(stderr, sum)
	}
	for _, c := range pulled {
		fmt.Fprintf(stdout, "%s: %s → %s (a prediction to review)\n", c.Case, c.Source, c.Path)
	}
	return err
}

// writeJSON writes v indented to path atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return project.WriteFileAtomic(path, append(b, '\n'), 0o644)
}

// serverFlags are the flags that name a Label Studio server and project.
type serverFlags struct {
	url, token, tokenFile, tokenType string
	projectID                        int
}

func (s *serverFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.url, "url", "", "Label Studio server, e.g. http://localhost:8080")
	fs.IntVar(&s.projectID, "project-id", 0, "Label Studio project id")
	fs.StringVar(&s.token, "token", "", "API token (prefer --token-file or DELINEATE_LS_TOKEN: a command line stays in the shell history)")
	fs.StringVar(&s.tokenFile, "token-file", "", "file holding the API token (mode 0600)")
	fs.StringVar(&s.tokenType, "token-type", "auto", "auto, pat (personal access token) or legacy")
}

// client builds the API client; the token comes from --token-file,
// DELINEATE_LS_TOKEN or --token, and is never printed.
func (s *serverFlags) client(stderr io.Writer) (*labelstudio.Client, error) {
	if s.url == "" || s.projectID <= 0 {
		return nil, usageErrorf("a server needs --url and --project-id")
	}
	switch s.tokenType {
	case labelstudio.TokenAuto, labelstudio.TokenPAT, labelstudio.TokenLegacy:
	default:
		return nil, usageErrorf("--token-type %q: want auto, pat or legacy", s.tokenType)
	}
	tok := s.token
	switch {
	case s.tokenFile != "":
		st, err := os.Stat(s.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("--token-file: %w", err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(stderr, "warning: %s is readable by others (mode %04o); chmod 600 it\n", s.tokenFile, st.Mode().Perm())
		}
		b, err := os.ReadFile(s.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("--token-file: %w", err)
		}
		tok = strings.TrimSpace(string(b))
	case tok == "":
		tok = strings.TrimSpace(os.Getenv("DELINEATE_LS_TOKEN"))
	default:
		fmt.Fprintln(stderr, "warning: a token on the command line stays in the shell history and the process list; prefer --token-file F (mode 0600) or DELINEATE_LS_TOKEN")
	}
	if tok == "" {
		return nil, usageErrorf("no token: give --token-file F (or DELINEATE_LS_TOKEN)")
	}
	return &labelstudio.Client{URL: s.url, Token: tok, TokenType: s.tokenType}, nil
}

func labelStudioUpload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("labelstudio upload", flag.ContinueOnError)
	tasksPath := fs.String("tasks", "", "the export's tasks.json")
	dry := fs.Bool("dry-run", false, "list the project (read only), write the planned requests, send nothing that changes the server")
	plan := fs.String("plan", "", "where the dry run writes its plan (default: upload-plan.json next to --tasks)")
	summaryPath := fs.String("summary", "", "where the summary JSON goes (default: upload-summary.json next to --tasks)")
	includeAnnotated := fs.Bool("include-annotated", false, "also post to tasks a person annotated")
	replace := fs.Bool("replace-same-version", false, "also post where a prediction of the same model_version is (adds one; nothing is deleted)")
	byURL := fs.Bool("import-urls", false, "import missing images as tasks by their URLs (--url-prefix of the export: the server's local storage serves them) instead of uploading the PNG files")
	var sc serverFlags
	sc.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *tasksPath == "" {
		return usageErrorf("labelstudio upload takes --url, --project-id, a token and --tasks OUT/tasks.json")
	}
	cl, err := sc.client(stderr)
	if err != nil {
		return err
	}
	tasks, err := labelstudio.ReadTasks(*tasksPath)
	if err != nil {
		return err
	}
	imageDir := filepath.Join(filepath.Dir(*tasksPath), "images")
	if *byURL {
		imageDir = ""
	}
	sum, err := labelstudio.Upload(ctx, cl, tasks, labelstudio.UploadOptions{ProjectID: sc.projectID, DryRun: *dry, ImageDir: imageDir,
		IncludeAnnotated: *includeAnnotated, ReplaceSameVersion: *replace,
		Progress: func(done, total int) { fmt.Fprintf(stderr, "\r%d/%d requests", done, total) }})
	if sum != nil && !*dry {
		fmt.Fprintln(stderr)
	}
	if err != nil && sum == nil {
		return err
	}
	dir := filepath.Dir(*tasksPath)
	if *dry {
		p := *plan
		if p == "" {
			p = filepath.Join(dir, "upload-plan.json")
		}
		if err := writeJSON(p, sum.Planned); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "dry run: %d tasks on the server; %d requests planned (%s); %d image(s) skipped; nothing was sent that changes the server\n",
			sum.Listed, len(sum.Planned), p, len(sum.Skipped))
		for _, s := range sum.Skipped {
			fmt.Fprintf(stdout, "  skip %s: %s\n", s.Image, s.Why)
		}
		return nil
	}
	sp := *summaryPath
	if sp == "" {
		sp = filepath.Join(dir, "upload-summary.json")
	}
	if werr := writeJSON(sp, sum); werr != nil && err == nil {
		err = werr
	}
	fmt.Fprintf(stdout, "uploaded %d predictions, imported %d new tasks with theirs, skipped %d, failed %d (summary: %s)\n",
		len(sum.Uploaded), len(sum.Imported), len(sum.Skipped), len(sum.Failed), sp)
	for _, s := range sum.Skipped {
		fmt.Fprintf(stdout, "  skipped %s: %s\n", s.Image, s.Why)
	}
	for _, s := range sum.Failed {
		fmt.Fprintf(stdout, "  FAILED %s: %s\n", s.Image, s.Why)
	}
	if err != nil {
		return err
	}
	if len(sum.Failed) > 0 {
		return fmt.Errorf("%d uploads failed", len(sum.Failed))
	}
	return nil
}
