package project

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"delineate/viewer"
)

func tempImage(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreateAddReopen(t *testing.T) {
	dir := t.TempDir()
	data := t.TempDir()
	table := &viewer.LabelTable{Labels: []viewer.Label{{ID: 1, Name: "liver"}, {ID: 2, Name: "spleen"}}}
	p, err := Create(filepath.Join(dir, "proj"), "", table)
	if err != nil {
		t.Fatal(err)
	}
	// A patient's name in the path never reaches the case id.
	c1, err := p.AddCase(tempImage(t, data, "DOE^JOHN_123.nii.gz"), Todo)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := p.AddCase(tempImage(t, data, "b.nii.gz"), Done)
	if err != nil {
		t.Fatal(err)
	}
	if c1.ID != "case_0001" || c2.ID != "case_0002" {
		t.Errorf("ids %s %s", c1.ID, c2.ID)
	}
	if _, err := p.AddCase(filepath.Join(data, "DOE^JOHN_123.nii.gz"), Todo); err == nil {
		t.Error("the same image added twice")
	}
	if err := p.SetStatus("case_0001", NeedsReview); err != nil {
		t.Fatal(err)
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	p.Close()
	q, err := Open(filepath.Join(dir, "proj"))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.ReadOnly() != "" {
		t.Errorf("read-only after the first closed: %s", q.ReadOnly())
	}
	s := q.Summarise()
	if q.Name != "proj" || len(q.Labels) != 2 || q.Labels[0].Name != "liver" || s.Cases != 2 || s.Done != 1 || s.Counts[NeedsReview] != 1 {
		t.Errorf("reopened: %+v %+v", q.Labels, s)
	}
	if !s.List[0].ImageFound {
		t.Error("image not found")
	}
	os.Remove(filepath.Join(data, "b.nii.gz"))
	if q.Summarise().List[1].ImageFound {
		t.Error("a moved image is reported found")
	}
	if strings.Contains(q.Cases[0].ID, "DOE") {
		t.Error("patient name in the case id")
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "proj", ".*tmp*"))
	if len(matches) > 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

func TestInvalidProjectFileIsLeftAlone(t *testing.T) {
	dir := t.TempDir()
	bad := []byte("{\n  \"format\": 1,\n  \"name\": \"x\",\n  \"cases\": [\n    {\"id\": \"case_0001\",, }\n  ]\n}\n")
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "line 5") {
		t.Fatalf("Open = %v, want a FormatError naming line 5", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(bad) {
		t.Error("the broken file was changed")
	}
	if _, err := os.Stat(filepath.Join(dir, LockFile)); err == nil {
		t.Error("a lock was left on a project that did not open")
	}
	// Valid JSON that is not a valid project.
	os.WriteFile(path, []byte(`{"format":1,"name":"x","cases":[{"id":"a","image":"i","status":"finished"}]}`), 0o644)
	if _, err := Open(dir); !errors.As(err, &fe) || !strings.Contains(err.Error(), `unknown status "finished"`) {
		t.Errorf("Open = %v", err)
	}
}

func TestSecondInstanceIsReadOnly(t *testing.T) {
	dir := t.TempDir()
	p, err := Create(dir, "p", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The lock is held by this very process, which is alive: a second
	// open must not take it.
	q, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(q.ReadOnly(), "pid") {
		t.Fatalf("second open: read-only %q", q.ReadOnly())
	}
	var ro *ReadOnlyError
	if err := q.Save(); !errors.As(err, &ro) {
		t.Errorf("Save on a read-only project = %v", err)
	}
	if _, err := q.AddCase(tempImage(t, dir, "a.nii"), Todo); !errors.As(err, &ro) {
		t.Errorf("AddCase on a read-only project = %v", err)
	}
	p.Close()
	r, err := Open(dir)
	if err != nil || r.ReadOnly() != "" {
		t.Fatalf("after the holder closed: %v, %q", err, r.ReadOnly())
	}
	r.Close()
}

func TestStaleLockIsTakenOver(t *testing.T) {
	dir := t.TempDir()
	p, err := Create(dir, "p", nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	// A lock left by a process that has exited (a crash).
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no `true` to make a dead pid:", err)
	}
	host, _ := os.Hostname()
	lock := `{"pid":` + itoa(cmd.Process.Pid) + `,"host":"` + host + `","since":"2026-01-01T00:00:00Z"}`
	os.WriteFile(filepath.Join(dir, LockFile), []byte(lock), 0o644)
	q, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.ReadOnly() != "" {
		t.Errorf("a dead holder's lock kept the project read-only: %s", q.ReadOnly())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestProvenanceModelThenPerson(t *testing.T) {
	c := &Case{ID: "case_0001"}
	c.RecordRun(ModelRun{Model: "builtin:ct-tissue", Version: "1", Labels: []int{1, 2}, Voxels: 1000})
	c.RecordEdit(Edit{Tool: "brush", Label: 2, Voxels: 40})
	c.RecordEdit(Edit{Tool: "fill", Label: 7, Voxels: 5})
	want := map[string]Source{"1": FromModel, "2": FromBoth, "7": FromPerson}
	for k, v := range want {
		if c.Provenance.Sources[k] != v {
			t.Errorf("label %s: %q, want %q", k, c.Provenance.Sources[k], v)
		}
	}
	if len(c.Provenance.Runs) != 1 || len(c.Provenance.Edits) != 2 || c.Provenance.Edits[0].By == "" {
		t.Errorf("provenance %+v", c.Provenance)
	}
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]Status{"todo": Todo, "In-Progress": InProgress, "needs_review": NeedsReview, " done ": Done, "REJECTED": Rejected} {
		if got, err := ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseStatus("finished"); err == nil || !strings.Contains(err.Error(), "needs review") {
		t.Errorf("ParseStatus(finished) = %v", err)
	}
	if Status("in-progress").Valid() {
		t.Error("a stored status must be written as in Statuses")
	}
}

func TestWriteFileAtomicFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "f.json"), []byte("x"), 0o644); err == nil {
		t.Fatal("no error writing into a missing folder")
	}
	p := filepath.Join(dir, "f.json")
	os.WriteFile(p, []byte("old"), 0o644)
	if err := WriteFileAtomic(p, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q", b)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) != 0 {
		t.Errorf("left %v", m)
	}
}
