package labelstudio_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"delineate/project"
	. "delineate/project/labelstudio"
	"delineate/project/labelstudio/lstest"
	"delineate/viewer"
)

func readExport(t *testing.T, dir string) []Task {
	t.Helper()
	tasks, err := ReadTasks(filepath.Join(dir, "tasks.json"))
	if err != nil {
		t.Fatal(err)
	}
	return tasks
}

func newServer(t *testing.T) *lstest.Server {
	s := lstest.New()
	t.Cleanup(func() {
		s.Close()
		for _, v := range s.Violations() {
			t.Errorf("contract violated: %s", v)
		}
	})
	return s
}

// synthetic is a small CT-like volume with two labels on slices 1..4.
func synthetic(t *testing.T) (img, lab *viewer.Volume) {
	t.Helper()
	g := viewer.Geometry{Dims: [3]int{40, 30, 6}, Spacing: viewer.Vec3{1, 1, 2}, Direction: viewer.Identity3}
	img, err := viewer.NewVolume(g, viewer.Int16)
	if err != nil {
		t.Fatal(err)
	}
	lab, err = viewer.NewVolume(g, viewer.Uint8)
	if err != nil {
		t.Fatal(err)
	}
	img.Modality = "CT"
	ip := img.Data.Raw().([]int16)
	lp := lab.Data.Raw().([]uint8)
	for k := 0; k < 6; k++ {
		for j := 0; j < 30; j++ {
			for i := 0; i < 40; i++ {
				n := g.Index(i, j, k)
				ip[n] = int16(-1000 + 40*i)
				if k >= 1 && k <= 4 {
					if (i-12)*(i-12)+(j-15)*(j-15) < 30 {
						lp[n] = 1
					} else if i > 25 && i < 35 && j > 5 && j < 20+k {
						lp[n] = 2
					}
				}
			}
		}
	}
	return img, lab
}

var synthTable = []project.Label{{ID: 1, Name: "liver", Colour: "#dc6440"}, {ID: 2, Name: "spleen", Colour: "#9050a0"}}

func exportSynthetic(t *testing.T, version string) (string, []Task) {
	t.Helper()
	img, lab := synthetic(t)
	out := filepath.Join(t.TempDir(), "ls")
	if _, err := Export(context.Background(), out, []Item{{Case: "case_0001", Volume: img, Labels: lab}}, synthTable,
		ExportOptions{Plane: viewer.Axial, ModelVersion: version, Score: 0.8}); err != nil {
		t.Fatal(err)
	}
	return out, readExport(t, out)
}

// The project as a team has it: four tasks for the exported slices
// (uploaded images, with Label Studio's 8-hex prefix), one annotated by a
// person, one cancelled, one holding a prediction of the same version,
// one untouched; slice 4's image is missing (it must be imported).
func seedProject(s *lstest.Server) {
	s.Labels = map[string]bool{"liver": true, "spleen": true}
	for k := 1; k <= 3; k++ {
		s.AddTask("/data/upload/3/a1b2c3d" + string(rune('0'+k)) + "-case_0001_axial_000" + string(rune('0'+k)) + ".png")
	}
	s.AddTask("/data/upload/3/00000000-unrelated.png")
	s.Tasks[0].Annotations = []map[string]any{{"id": 1, "completed_by": 9, "result": []any{}}}
	s.Tasks[1].Predictions = []Prediction{{ModelVersion: "v2", Score: 0.1, Result: []Result{}}}
	// Task 3 (slice 3) is untouched; task 4 is another image.
	for i := 0; i < 120; i++ { // enough tasks to page through
		s.AddTask("/data/upload/3/" + "ffffffff-other_" + string(rune('a'+i%26)) + ".png")
	}
}

func TestUploadAgainstContractServer(t *testing.T) {
	for _, tokType := range []string{TokenLegacy, TokenPAT} {
		t.Run(tokType, func(t *testing.T) {
			s := newServer(t)
			seedProject(s)
			_, tasks := exportSynthetic(t, "v2")
			tok := s.Legacy
			if tokType == TokenPAT {
				tok = s.PAT
			}
			// Injected trouble: a 502 and a dropped connection on the
			// prediction endpoint, both retried.
			s.Fail5xx("/api/predictions/", 1)
			s.Drop("/api/projects/3/import", 1)
			c := &Client{URL: s.URL, Token: tok, TokenType: TokenAuto, PageSize: 50, Backoff: time.Millisecond}

			dry, err := Upload(context.Background(), c, tasks, UploadOptions{ProjectID: 3, DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range s.Requests() {
				if !strings.HasPrefix(r, "GET ") && r != "POST /api/token/refresh" {
					t.Errorf("dry run sent %s", r)
				}
			}
			if len(dry.Planned) != 2 || dry.Planned[0].Task != 3 || dry.Planned[1].Tasks != 1 {
				t.Errorf("dry run planned %+v", dry.Planned)
			}
			before := len(s.Tasks)
			sum, err := Upload(context.Background(), c, tasks, UploadOptions{ProjectID: 3})
			if err != nil {
				t.Fatal(err)
			}
			// Slice 1 annotated, slice 2 same version: skipped; slice 3
			// posted; slice 4 imported with its prediction.
			if len(sum.Uploaded) != 1 || sum.Uploaded[0].Task != 3 || len(sum.Imported) != 1 || len(sum.Skipped) != 2 || len(sum.Failed) != 0 {
				b, _ := json.MarshalIndent(sum, "", " ")
				t.Fatalf("summary %s", b)
			}
			if !strings.Contains(sum.Skipped[0].Why, "a person annotated it") || !strings.Contains(sum.Skipped[1].Why, `model_version "v2"`) {
				t.Errorf("skip reasons %+v", sum.Skipped)
			}
			if len(s.Tasks[0].Predictions) != 0 || len(s.Tasks[1].Predictions) != 1 {
				t.Error("a skipped task was changed")
			}
			if p := s.Tasks[2].Predictions; len(p) != 1 || p[0].ModelVersion != "v2" || len(p[0].Result) != 2 {
				t.Errorf("task 3 holds %+v", p)
			}
			if len(s.Tasks) != before+1 || s.Tasks[before].Meta == nil || len(s.Tasks[before].Predictions) != 1 {
				t.Errorf("the missing slice was not imported with its meta and prediction")
			}
			if tokType == TokenPAT && s.Refreshes() < 2 {
				t.Errorf("%d refreshes: access tokens expire after %d requests, so a refresh on 401 was needed", s.Refreshes(), s.AccessTTL)
			}
			// --include-annotated and --replace-same-version post the rest;
			// still nothing is deleted.
			sum2, err := Upload(context.Background(), c, tasks, UploadOptions{ProjectID: 3, IncludeAnnotated: true, ReplaceSameVersion: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(sum2.Uploaded) != 4 || len(sum2.Imported) != 0 {
				t.Errorf("second upload %+v", sum2)
			}
		})
	}
}

// A wrong token is an AuthError that says what to do, and the token
// appears nowhere in it.
func TestUploadBadToken(t *testing.T) {
	s := newServer(t)
	seedProject(s)
	_, tasks := exportSynthetic(t, "v1")
	for _, tok := range []string{"wrong-legacy-token-1234567890", lstest.MakePAT() + "x"} {
		c := &Client{URL: s.URL, Token: tok, Backoff: time.Millisecond}
		_, err := Upload(context.Background(), c, tasks, UploadOptions{ProjectID: 3})
		var ae *AuthError
		if !errors.As(err, &ae) {
			t.Fatalf("token %.6s…: %v, want an AuthError", tok, err)
		}
		if strings.Contains(err.Error(), tok) {
			t.Errorf("the error shows the token: %v", err)
		}
	}
}

// Server errors that do not stop are bounded: after the retries the task
// is reported failed and the others go on.
func TestUploadPersistent5xx(t *testing.T) {
	s := newServer(t)
	seedProject(s)
	_, tasks := exportSynthetic(t, "v9")
	s.Fail5xx("/api/predictions/", 1000)
	c := &Client{URL: s.URL, Token: s.Legacy, Retries: 2, Backoff: time.Millisecond}
	sum, err := Upload(context.Background(), c, tasks, UploadOptions{ProjectID: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failed) != 2 || !strings.Contains(sum.Failed[0].Why, "502") || len(sum.Imported) != 1 {
		t.Errorf("summary %+v", sum)
	}
	posts := 0
	for _, r := range s.Requests() {
		if r == "POST /api/predictions/" {
			posts++
		}
	}
	if posts != 2*3 {
		t.Errorf("%d prediction requests for 2 tasks with 2 retries each", posts)
	}
}

// Upload → annotate in "Label Studio" → pull from the server gives the
// voxels back, using the export's meta for tasks the server made from
// uploaded images.
func TestPullFromServer(t *testing.T) {
	s := newServer(t)
	seedProject(s)
	_, tasks := exportSynthetic(t, "v1")
	c := &Client{URL: s.URL, Token: s.Legacy, Backoff: time.Millisecond}
	if _, err := Upload(context.Background(), c, tasks, UploadOptions{ProjectID: 3, IncludeAnnotated: true}); err != nil {
		t.Fatal(err)
	}
	// A person accepts every prediction as is (slice 1's empty annotation
	// is replaced by the accepted one).
	for _, st := range s.Tasks {
		if len(st.Predictions) > 0 && st.Predictions[len(st.Predictions)-1].ModelVersion == "v1" {
			st.Annotations = []map[string]any{{"id": st.ID, "completed_by": 9, "updated_at": "2026-12-03T12:00:00Z", "result": st.Predictions[len(st.Predictions)-1].Result}}
		}
	}
	server, err := c.Tasks(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	got, sum, err := Pull(server, PullOptions{Local: LocalMeta(tasks)})
	if err != nil {
		t.Fatal(err)
	}
	rv := got["case_0001"]
	if rv == nil || len(rv.Slices) != 4 || sum.Annotated != 4 {
		t.Fatalf("pulled %+v, %+v", rv, sum)
	}
	_, lab := synthetic(t)
	ids := make([]uint16, lab.Data.Len())
	if err := rv.Apply(ids); err != nil {
		t.Fatal(err)
	}
	for i := range ids {
		if ids[i] != uint16(lab.Data.At(i)) {
			t.Fatalf("voxel %d: %d, want %v", i, ids[i], lab.Data.At(i))
		}
	}
}

// The client refuses to send a DELETE at all; the contract server would
// catch one.
func TestNeverDelete(t *testing.T) {
	s := lstest.New()
	defer s.Close()
	c := &Client{URL: s.URL, Token: s.Legacy}
	if err := c.Do(context.Background(), http.MethodDelete, "/api/projects/3/tasks/", nil, nil); err == nil {
		t.Error("the client sent a DELETE")
	}
	if r := s.Requests(); len(r) != 0 {
		t.Errorf("requests %v", r)
	}
	req, _ := http.NewRequest(http.MethodDelete, s.URL+"/api/projects/3/tasks/", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if v := s.Violations(); len(v) != 1 || !strings.Contains(v[0], "DELETE") {
		t.Errorf("the server did not flag a DELETE: %v", v)
	}
}

// Listing pages until the 404 when the server gives no total, and every
// task arrives once, with its annotations and predictions (fields=all).
func TestTasksPagingTo404(t *testing.T) {
	s := newServer(t)
	seedProject(s)
	s.HideTotal = true
	s.Tasks[4].Predictions = []Prediction{{ModelVersion: "v0", Result: []Result{}}, {ModelVersion: "v1", Result: []Result{}}}
	c := &Client{URL: s.URL, Token: s.Legacy, PageSize: 50}
	tasks, err := c.Tasks(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != len(s.Tasks) {
		t.Fatalf("%d tasks listed, the server holds %d", len(tasks), len(s.Tasks))
	}
	if len(tasks[0].Annotations) != 1 || len(tasks[4].Predictions) != 2 || tasks[4].Predictions[1].ModelVersion != "v1" {
		t.Errorf("fields=all not asked for: %+v", tasks[4])
	}
	gets := 0
	for _, r := range s.Requests() {
		if r == "GET /api/tasks/" {
			gets++
		}
	}
	if want := (len(s.Tasks)+49)/50 + 1; gets != want { // the last is the 404
		t.Errorf("%d GETs for %d tasks in pages of 50, want %d", gets, len(s.Tasks), want)
	}
}

// Images the project lacks are uploaded as files (the server makes their
// tasks), then get their predictions; pulling maps them back through the
// export's meta.
func TestUploadImagesThenPull(t *testing.T) {
	s := newServer(t)
	seedProject(s)
	out, tasks := exportSynthetic(t, "v3")
	c := &Client{URL: s.URL, Token: s.Legacy, Backoff: time.Millisecond}
	o := UploadOptions{ProjectID: 3, ImageDir: filepath.Join(out, "images"), IncludeAnnotated: true}
	dry := o
	dry.DryRun = true
	plan, err := Upload(context.Background(), c, tasks, dry)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(plan.Planned); n != 5 || plan.Planned[3].Files != 1 {
		t.Fatalf("plan %+v", plan.Planned)
	}
	sum, err := Upload(context.Background(), c, tasks, o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Uploads != 1 || len(sum.Imported) != 1 || sum.Imported[0].Task == 0 || len(sum.Uploaded) != 3 || len(sum.Failed) != 0 {
		t.Fatalf("uploads %d, summary %+v", s.Uploads, sum)
	}
	nt := s.Task(sum.Imported[0].Task)
	if nt == nil || !strings.Contains(nt.Data["image"].(string), "-case_0001_axial_0004.png") || len(nt.Predictions) != 1 || nt.Meta != nil {
		t.Fatalf("new task %+v", nt)
	}
	for _, st := range s.Tasks {
		if n := len(st.Predictions); n > 0 && st.Predictions[n-1].ModelVersion == "v3" {
			st.Annotations = []map[string]any{{"id": st.ID, "completed_by": 5, "result": st.Predictions[n-1].Result}}
		}
	}
	server, err := c.Tasks(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := Pull(server, PullOptions{Local: LocalMeta(tasks)})
	if err != nil {
		t.Fatal(err)
	}
	if rv := got["case_0001"]; rv == nil || len(rv.Slices) != 4 {
		t.Fatalf("pulled %+v", got)
	}
}
