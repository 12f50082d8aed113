// Package lstest is an in-process Label Studio server for tests, as
// net/http/httptest is for HTTP. It enforces the contract of
// ../shared/specs/label-studio.md — the auth headers (legacy token, PAT
// refresh with access tokens that expire), task listing with pagination
// ending in 404 and fields=all, the prediction and import body schemas —
// injects 5xx answers and dropped connections on request, records every
// request, and counts what a client must never do (a DELETE, a body that
// breaks the schema, the PAT itself sent as a bearer token) as
// violations for the test to assert on.
package lstest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"delineate/project/labelstudio"
)

// Server is the fake Label Studio. Its fields may be changed before the
// client runs; Tasks is what the server holds (inspect it afterwards,
// under Lock/Unlock when a client may still be running).
type Server struct {
	*httptest.Server
	Project   int    // the project id that has tasks
	Legacy    string // the legacy token it accepts
	PAT       string // the personal access token it accepts
	AccessTTL int    // requests an access token is good for (expiry)
	FromName  string // the labelling config's BrushLabels name
	ToName    string // and its Image name
	Labels    map[string]bool
	Tasks     []*Task
	// HideTotal leaves "total" out of task listings (as some versions and
	// proxies do), so a client must page until the 404.
	HideTotal bool
	// Uploads counts image files received.
	Uploads int

	mu         sync.Mutex
	access     map[string]int
	accessN    int
	nextID     int
	fail5xx    map[string]int
	drop       map[string]int
	requests   []string
	violations []string
	refreshes  int
}

// Task is a task as the server holds it.
type Task struct {
	ID          int
	Data        map[string]any
	Meta        map[string]any
	Annotations []map[string]any
	Cancelled   int
	Predictions []labelstudio.Prediction
}

// MakePAT builds a personal access token: a JWT whose payload says
// token_type "refresh".
func MakePAT() string {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	return enc(`{"alg":"HS256","typ":"JWT"}`) + "." + enc(`{"token_type":"refresh","exp":4102444800,"jti":"x","user_id":1}`) + ".c2lnbmF0dXJl"
}

// New starts a server for project 3 with a legacy token and a PAT; Close
// it when done.
func New() *Server {
	s := &Server{Project: 3, Legacy: "0123456789abcdef0123456789abcdef01234567", PAT: MakePAT(),
		AccessTTL: 5, FromName: "tag", ToName: "image", Labels: map[string]bool{},
		access: map[string]int{}, fail5xx: map[string]int{}, drop: map[string]int{}, nextID: 1}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Lock and Unlock guard Tasks while a client may be running.
func (s *Server) Lock()   { s.mu.Lock() }
func (s *Server) Unlock() { s.mu.Unlock() }

// AddTask adds a task showing image.
func (s *Server) AddTask(image string) *Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addTask(image)
}

func (s *Server) addTask(image string) *Task {
	t := &Task{ID: s.nextID, Data: map[string]any{"image": image}}
	s.nextID++
	s.Tasks = append(s.Tasks, t)
	return t
}

// Task is the task with id, or nil.
func (s *Server) Task(id int) *Task {
	for _, t := range s.Tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// Fail5xx makes the next n requests to path answer 502.
func (s *Server) Fail5xx(path string, n int) { s.mu.Lock(); s.fail5xx[path] = n; s.mu.Unlock() }

// Drop makes the next n requests to path lose their connection.
func (s *Server) Drop(path string, n int) { s.mu.Lock(); s.drop[path] = n; s.mu.Unlock() }

// Requests lists "METHOD /path" of every request so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Violations lists what a client did that it must never do.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// Refreshes counts PAT refreshes.
func (s *Server) Refreshes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refreshes }

func (s *Server) violate(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

func jsonOut(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) authorised(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if h == "Token "+s.Legacy {
		return true
	}
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		if tok == s.PAT {
			s.violate("the PAT itself was sent as a bearer token (it must be refreshed first)")
			return false
		}
		if n := s.access[tok]; n > 0 {
			s.access[tok] = n - 1
			return true
		}
	}
	return false
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	if r.Method == http.MethodDelete {
		s.violate("DELETE %s", r.URL.Path)
		jsonOut(w, 403, map[string]string{"detail": "no"})
		return
	}
	if n := s.drop[r.URL.Path]; n > 0 {
		s.drop[r.URL.Path] = n - 1
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	}
	if n := s.fail5xx[r.URL.Path]; n > 0 {
		s.fail5xx[r.URL.Path] = n - 1
		jsonOut(w, 502, map[string]string{"detail": "bad gateway"})
		return
	}
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/api/token/refresh" && r.Method == http.MethodPost {
		var in struct {
			Refresh string `json:"refresh"`
		}
		if json.Unmarshal(body, &in) != nil || in.Refresh != s.PAT {
			jsonOut(w, 401, map[string]string{"detail": "Token is invalid or expired"})
			return
		}
		s.refreshes++
		s.accessN++
		tok := fmt.Sprintf("access-%d", s.accessN)
		s.access[tok] = s.AccessTTL
		jsonOut(w, 200, map[string]string{"access": tok})
		return
	}
	if !s.authorised(r) {
		jsonOut(w, 401, map[string]string{"detail": "Authentication credentials were not provided."})
		return
	}
	switch {
	case r.URL.Path == "/api/tasks/" && r.Method == http.MethodGet:
		s.listTasks(w, r)
	case r.URL.Path == "/api/predictions/" && r.Method == http.MethodPost:
		var p labelstudio.Prediction
		if err := json.Unmarshal(body, &p); err != nil {
			s.violate("prediction body: %v", err)
			jsonOut(w, 400, map[string]string{"detail": err.Error()})
			return
		}
		t := s.Task(p.Task)
		if t == nil {
			jsonOut(w, 400, map[string]string{"detail": "task does not exist"})
			return
		}
		if msg := s.check(p); msg != "" {
			s.violate("prediction for task %d: %s", p.Task, msg)
			jsonOut(w, 400, map[string]string{"detail": msg})
			return
		}
		t.Predictions = append(t.Predictions, p)
		jsonOut(w, 201, map[string]int{"id": 1000*t.ID + len(t.Predictions)})
	case r.URL.Path == fmt.Sprintf("/api/projects/%d/import", s.Project) && r.Method == http.MethodPost &&
		strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data"):
		s.importFiles(w, r, body)
	case r.URL.Path == fmt.Sprintf("/api/projects/%d/import", s.Project) && r.Method == http.MethodPost:
		var in []struct {
			Data        map[string]any           `json:"data"`
			Meta        map[string]any           `json:"meta"`
			Predictions []labelstudio.Prediction `json:"predictions"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			s.violate("import body is not a task list: %v", err)
			jsonOut(w, 400, map[string]string{"detail": err.Error()})
			return
		}
		for _, it := range in {
			img, ok := it.Data["image"].(string)
			if !ok {
				s.violate("imported task without data.image")
				continue
			}
			t := s.addTask(img)
			t.Data, t.Meta = it.Data, it.Meta
			for _, p := range it.Predictions {
				if msg := s.check(p); msg != "" {
					s.violate("imported prediction: %s", msg)
				}
				t.Predictions = append(t.Predictions, p)
			}
		}
		jsonOut(w, 201, map[string]any{"task_count": len(in), "prediction_count": len(in)})
	default:
		jsonOut(w, 404, map[string]string{"detail": "Not found."})
	}
}

// check enforces the SDK schema: model_version, brushlabels results with
// the config's from/to names and labels, format rle and a stream that
// decodes to exactly W*H*4.
func (s *Server) check(p labelstudio.Prediction) string {
	if p.ModelVersion == "" {
		return "model_version missing"
	}
	for _, r := range p.Result {
		if r.Type != "brushlabels" || r.FromName != s.FromName || r.ToName != s.ToName {
			return fmt.Sprintf("result %s %s→%s", r.Type, r.FromName, r.ToName)
		}
		if r.Value.Format != "rle" || len(r.Value.BrushLabels) != 1 || (len(s.Labels) > 0 && !s.Labels[r.Value.BrushLabels[0]]) {
			return fmt.Sprintf("value %s %v", r.Value.Format, r.Value.BrushLabels)
		}
		if r.OriginalWidth <= 0 || r.OriginalHeight <= 0 {
			return "original_width/height missing"
		}
		words, err := labelstudio.Decode(r.Value.RLE, 4*r.OriginalWidth*r.OriginalHeight)
		if err != nil {
			return err.Error()
		}
		if len(words) != 4*r.OriginalWidth*r.OriginalHeight {
			return fmt.Sprintf("RLE decodes to %d bytes, the image needs %d", len(words), 4*r.OriginalWidth*r.OriginalHeight)
		}
	}
	return ""
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("project") != strconv.Itoa(s.Project) {
		jsonOut(w, 200, map[string]any{"tasks": []any{}, "total": 0})
		return
	}
	page, _ := strconv.Atoi(q.Get("page"))
	size, _ := strconv.Atoi(q.Get("page_size"))
	if page < 1 || size < 1 {
		jsonOut(w, 400, map[string]string{"detail": "page and page_size"})
		return
	}
	lo := (page - 1) * size
	if lo >= len(s.Tasks) && page > 1 {
		jsonOut(w, 404, map[string]string{"detail": "Invalid page."})
		return
	}
	all := q.Get("fields") == "all"
	out := []map[string]any{}
	for _, t := range s.Tasks[lo:min(lo+size, len(s.Tasks))] {
		m := map[string]any{"id": t.ID, "data": t.Data, "total_annotations": len(t.Annotations), "cancelled_annotations": t.Cancelled,
			"total_predictions": len(t.Predictions)}
		if all {
			m["annotations"] = t.Annotations
			m["predictions"] = t.Predictions
			if t.Meta != nil {
				m["meta"] = t.Meta
			}
		}
		out = append(out, m)
	}
	if s.HideTotal {
		jsonOut(w, 200, map[string]any{"tasks": out})
		return
	}
	jsonOut(w, 200, map[string]any{"tasks": out, "total": len(s.Tasks)})
}

// importFiles takes uploaded image files: one task per file, served as
// /data/upload/<project>/<8 hex>-<name>, as Label Studio does.
func (s *Server) importFiles(w http.ResponseWriter, r *http.Request, body []byte) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		s.violate("upload: %v", err)
		jsonOut(w, 400, map[string]string{"detail": err.Error()})
		return
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	n := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.violate("upload: %v", err)
			jsonOut(w, 400, map[string]string{"detail": err.Error()})
			return
		}
		data, _ := io.ReadAll(part)
		name := part.FileName()
		if name == "" || !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
			s.violate("upload: part %q is not a PNG file", name)
			continue
		}
		s.Uploads++
		s.addTask(fmt.Sprintf("/data/upload/%d/%08x-%s", s.Project, 0x5eed0000+s.nextID, name))
		n++
	}
	jsonOut(w, 201, map[string]any{"task_count": n, "file_upload_ids": []int{}})
}
