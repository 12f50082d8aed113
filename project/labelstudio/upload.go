package labelstudio

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
)

// UploadOptions are the choices of `delineate labelstudio upload`.
type UploadOptions struct {
	ProjectID          int
	IncludeAnnotated   bool // also post to tasks a person annotated (or cancelled)
	ReplaceSameVersion bool // also post where a prediction of the same model_version is there (it is added, never deleted)
	DryRun             bool // list the project (read only) and plan; send nothing that changes the server
	// ImageDir holds the export's PNGs: images the project lacks are
	// uploaded from it (Label Studio serves them from /data/upload/…),
	// then get their predictions. Empty: such images are imported as tasks
	// whose URLs are the export's (for a server whose local storage serves
	// the export folder).
	ImageDir string
	Progress func(done, total int)
}

// Planned is one request of an upload, as the dry run lists it.
type Planned struct {
	Method       string   `json:"method"`
	Path         string   `json:"path"`
	Task         int      `json:"task,omitempty"`
	Image        string   `json:"image,omitempty"`
	Tasks        int      `json:"tasks,omitempty"` // tasks imported by one request
	Files        int      `json:"files,omitempty"` // image files uploaded by one request
	ModelVersion string   `json:"model_version"`
	Results      int      `json:"results"`
	Labels       []string `json:"labels,omitempty"`
}

// Outcome is what happened to one exported image.
type Outcome struct {
	Image string `json:"image"`
	Task  int    `json:"task,omitempty"`
	Why   string `json:"why,omitempty"`
}

// UploadSummary is the end of an upload, also written as JSON.
type UploadSummary struct {
	DryRun   bool      `json:"dry_run"`
	Listed   int       `json:"server_tasks"`
	Uploaded []Outcome `json:"uploaded"`
	Imported []Outcome `json:"imported"`
	Skipped  []Outcome `json:"skipped"`
	Failed   []Outcome `json:"failed"`
	Planned  []Planned `json:"planned"`
}

type post struct {
	image string
	body  Prediction
}

var uploadPrefix = regexp.MustCompile(`^[0-9a-f]{8}-`)

// ImageName is the file name a task's image URL ends in, with Label
// Studio's upload prefix (8 hex digits and a dash) stripped: uploads are
// /data/upload/<project>/<8 hex>-<name>, local files
// /data/local-files/?d=<path>.
func ImageName(u string) string {
	if i := strings.LastIndex(u, "?d="); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.LastIndexAny(u, "/\\"); i >= 0 {
		u = u[i+1:]
	}
	return uploadPrefix.ReplaceAllString(u, "")
}

// importBatch bounds one import request (the server takes ≤ 200 MB).
const importBatch = 200

// Upload posts the predictions of local (an export's tasks.json) to a
// project: to the task showing the same image where there is one —
// unless a person touched it, or it holds a prediction of the same
// model_version — and as new tasks with their predictions for images
// the project lacks. It never deletes. Per-task failures are reported in
// the summary; the error is for what stops the whole upload (listing,
// authentication).
func Upload(ctx context.Context, c *Client, local []Task, o UploadOptions) (*UploadSummary, error) {
	server, err := c.Tasks(ctx, o.ProjectID)
	if err != nil {
		return nil, err
	}
	sum := &UploadSummary{DryRun: o.DryRun, Listed: len(server), Uploaded: []Outcome{}, Imported: []Outcome{}, Skipped: []Outcome{}, Failed: []Outcome{}, Planned: []Planned{}}
	byName := map[string][]*Task{}
	for i := range server {
		t := &server[i]
		byName[ImageName(t.Data.Image)] = append(byName[ImageName(t.Data.Image)], t)
	}
	var posts []post
	var imports []Task
	var importNames []string
	for _, lt := range local {
		name := ImageName(lt.Data.Image)
		if len(lt.Predictions) == 0 {
			sum.Skipped = append(sum.Skipped, Outcome{Image: name, Why: "no prediction in the export"})
			continue
		}
		pred := lt.Predictions[0]
		matches := byName[name]
		switch {
		case len(matches) > 1:
			sum.Skipped = append(sum.Skipped, Outcome{Image: name, Why: fmt.Sprintf("%d tasks of the project show this image", len(matches))})
		case len(matches) == 1:
			st := matches[0]
			if touched := st.TotalAnnotations + st.CancelledAnnotations + len(st.Annotations); touched > 0 && !o.IncludeAnnotated {
				sum.Skipped = append(sum.Skipped, Outcome{Image: name, Task: st.ID, Why: fmt.Sprintf("a person annotated it (%d annotations, %d cancelled); --include-annotated posts anyway", max(st.TotalAnnotations, len(st.Annotations)), st.CancelledAnnotations)})
				continue
			}
			if hasVersion(st, pred.ModelVersion) && !o.ReplaceSameVersion {
				sum.Skipped = append(sum.Skipped, Outcome{Image: name, Task: st.ID, Why: fmt.Sprintf("it holds a prediction of model_version %q; --replace-same-version adds another", pred.ModelVersion)})
				continue
			}
			body := Prediction{Task: st.ID, ModelVersion: pred.ModelVersion, Score: pred.Score, Result: pred.Result}
			posts = append(posts, post{name, body})
			sum.Planned = append(sum.Planned, Planned{Method: http.MethodPost, Path: "/api/predictions/", Task: st.ID, Image: name,
				ModelVersion: pred.ModelVersion, Results: len(pred.Result), Labels: resultLabels(pred.Result)})
		default:
			t := Task{Data: lt.Data, Meta: lt.Meta, Predictions: []Prediction{{ModelVersion: pred.ModelVersion, Score: pred.Score, Result: pred.Result}}}
			imports = append(imports, t)
			importNames = append(importNames, name)
		}
	}
	importPath := fmt.Sprintf("/api/projects/%d/import", o.ProjectID)
	if o.ImageDir != "" {
		return uploadWithImages(ctx, c, sum, posts, imports, importNames, importPath, o)
	}
	for i := 0; i < len(imports); i += importBatch {
		j := min(i+importBatch, len(imports))
		n := 0
		for _, t := range imports[i:j] {
			n += len(t.Predictions[0].Result)
		}
		sum.Planned = append(sum.Planned, Planned{Method: http.MethodPost, Path: importPath, Tasks: j - i, ModelVersion: imports[i].Predictions[0].ModelVersion, Results: n})
	}
	if o.DryRun {
		return sum, nil
	}
	total, done := len(posts)+len(imports), 0
	for _, p := range posts {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		var created struct {
			ID int `json:"id"`
		}
		if err := c.Do(ctx, http.MethodPost, "/api/predictions/", p.body, &created); err != nil {
			if _, auth := err.(*AuthError); auth {
				return sum, err
			}
			sum.Failed = append(sum.Failed, Outcome{Image: p.image, Task: p.body.Task, Why: err.Error()})
		} else {
			sum.Uploaded = append(sum.Uploaded, Outcome{Image: p.image, Task: p.body.Task})
		}
		done++
		if o.Progress != nil {
			o.Progress(done, total)
		}
	}
	for i := 0; i < len(imports); i += importBatch {
		j := min(i+importBatch, len(imports))
		if err := c.Do(ctx, http.MethodPost, importPath, imports[i:j], nil); err != nil {
			if _, auth := err.(*AuthError); auth {
				return sum, err
			}
			for _, n := range importNames[i:j] {
				sum.Failed = append(sum.Failed, Outcome{Image: n, Why: "import: " + err.Error()})
			}
		} else {
			for _, n := range importNames[i:j] {
				sum.Imported = append(sum.Imported, Outcome{Image: n})
			}
		}
		done += j - i
		if o.Progress != nil {
			o.Progress(done, total)
		}
	}
	return sum, nil
}

func hasVersion(t *Task, v string) bool {
	for _, p := range t.Predictions {
		if p.ModelVersion == v {
			return true
		}
	}
	return false
}

func resultLabels(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Value.BrushLabels...)
	}
	return out
}

// fileBatch bounds the image files of one upload request.
const fileBatch = 50

// uploadWithImages finishes an upload whose missing images are uploaded as
// files: plan, post the predictions of matched tasks, upload the files,
// list the project again to find the tasks Label Studio made for them,
// and post their predictions.
func uploadWithImages(ctx context.Context, c *Client, sum *UploadSummary, posts []post, imports []Task, names []string, importPath string, o UploadOptions) (*UploadSummary, error) {
	for i := 0; i < len(names); i += fileBatch {
		j := min(i+fileBatch, len(names))
		sum.Planned = append(sum.Planned, Planned{Method: http.MethodPost, Path: importPath + " (multipart)", Files: j - i})
	}
	for k, t := range imports {
		sum.Planned = append(sum.Planned, Planned{Method: http.MethodPost, Path: "/api/predictions/", Image: names[k],
			ModelVersion: t.Predictions[0].ModelVersion, Results: len(t.Predictions[0].Result), Labels: resultLabels(t.Predictions[0].Result)})
	}
	if o.DryRun {
		return sum, nil
	}
	total, done := len(posts)+len(names)+len(imports), 0
	step := func(n int) {
		done += n
		if o.Progress != nil {
			o.Progress(done, total)
		}
	}
	postOne := func(p post) error {
		var created struct {
			ID int `json:"id"`
		}
		return c.Do(ctx, http.MethodPost, "/api/predictions/", p.body, &created)
	}
	for _, p := range posts {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if err := postOne(p); err != nil {
			if _, auth := err.(*AuthError); auth {
				return sum, err
			}
			sum.Failed = append(sum.Failed, Outcome{Image: p.image, Task: p.body.Task, Why: err.Error()})
		} else {
			sum.Uploaded = append(sum.Uploaded, Outcome{Image: p.image, Task: p.body.Task})
		}
		step(1)
	}
	uploaded := map[string]bool{}
	for i := 0; i < len(names); i += fileBatch {
		j := min(i+fileBatch, len(names))
		var paths []string
		for _, n := range names[i:j] {
			paths = append(paths, filepath.Join(o.ImageDir, n))
		}
		if err := c.UploadImages(ctx, o.ProjectID, paths); err != nil {
			if _, auth := err.(*AuthError); auth {
				return sum, err
			}
			for _, n := range names[i:j] {
				sum.Failed = append(sum.Failed, Outcome{Image: n, Why: "image upload: " + err.Error()})
			}
		} else {
			for _, n := range names[i:j] {
				uploaded[n] = true
			}
		}
		step(j - i)
	}
	if len(uploaded) == 0 {
		return sum, nil
	}
	server, err := c.Tasks(ctx, o.ProjectID)
	if err != nil {
		return sum, fmt.Errorf("listing the project after the image upload: %w", err)
	}
	byName := map[string][]int{}
	for _, t := range server {
		byName[ImageName(t.Data.Image)] = append(byName[ImageName(t.Data.Image)], t.ID)
	}
	for k, t := range imports {
		n := names[k]
		if !uploaded[n] {
			continue
		}
		ids := byName[n]
		if len(ids) != 1 {
			sum.Failed = append(sum.Failed, Outcome{Image: n, Why: fmt.Sprintf("after the upload %d tasks show this image", len(ids))})
			step(1)
			continue
		}
		pr := t.Predictions[0]
		if err := postOne(post{n, Prediction{Task: ids[0], ModelVersion: pr.ModelVersion, Score: pr.Score, Result: pr.Result}}); err != nil {
			if _, auth := err.(*AuthError); auth {
				return sum, err
			}
			sum.Failed = append(sum.Failed, Outcome{Image: n, Task: ids[0], Why: "image uploaded, prediction failed: " + err.Error()})
		} else {
			sum.Imported = append(sum.Imported, Outcome{Image: n, Task: ids[0]})
		}
		step(1)
	}
	return sum, nil
}
