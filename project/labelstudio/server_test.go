package labelstudio

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// contractServer is an in-process Label Studio that enforces the contract
// of ../shared/specs/label-studio.md: the auth headers (legacy token, PAT
// refresh with access tokens that expire), task listing with pagination
// ending in 404 and fields=all, the prediction and import body schemas,
// and injected 5xx answers and dropped connections. A DELETE fails the
// test. It records what it holds, for the test to assert afterwards.
type contractServer struct {
	t         *testing.T
	mu        sync.Mutex
	project   int
	legacy    string
	pat       string
	access    map[string]int // access token → uses left
	accessN   int
	accessTTL int
	fromName  string
	toName    string
	labels    map[string]bool
	tasks     []*serverTask
	nextID    int
	fail5xx   map[string]int // path → 5xx answers still to give
	drop      map[string]int // path → connections still to drop
	requests  []string
	refreshes int
}

type serverTask struct {
	ID          int
	Data        map[string]any
	Meta        map[string]any
	Annotations []map[string]any
	Cancelled   int
	Predictions []Prediction
}

func makePAT() string {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	return enc(`{"alg":"HS256","typ":"JWT"}`) + "." + enc(`{"token_type":"refresh","exp":4102444800,"jti":"x","user_id":1}`) + ".c2lnbmF0dXJl"
}

func newContractServer(t *testing.T) (*contractServer, *httptest.Server) {
	s := &contractServer{t: t, project: 3, legacy: "0123456789abcdef0123456789abcdef01234567", pat: makePAT(),
		access: map[string]int{}, accessTTL: 5, fromName: "tag", toName: "image", labels: map[string]bool{},
		fail5xx: map[string]int{}, drop: map[string]int{}, nextID: 1}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *contractServer) addTask(image string) *serverTask {
	st := &serverTask{ID: s.nextID, Data: map[string]any{"image": image}}
	s.nextID++
	s.tasks = append(s.tasks, st)
	return st
}

func (s *contractServer) jsonOut(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (s *contractServer) authorised(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if h == "Token "+s.legacy {
		return true
	}
	if strings.HasPrefix(h, "Bearer ") {
		tok := strings.TrimPrefix(h, "Bearer ")
		if tok == s.pat {
			s.t.Errorf("the PAT itself was sent as a bearer token (it must be refreshed first)")
			return false
		}
		if n, ok := s.access[tok]; ok && n > 0 {
			s.access[tok] = n - 1
			return true
		}
	}
	return false
}

func (s *contractServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	if r.Method == http.MethodDelete {
		s.t.Errorf("DELETE %s was sent", r.URL.Path)
		s.jsonOut(w, 500, map[string]string{"detail": "no"})
		return
	}
	if n := s.drop[r.URL.Path]; n > 0 {
		s.drop[r.URL.Path] = n - 1
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
		return
	}
	if n := s.fail5xx[r.URL.Path]; n > 0 {
		s.fail5xx[r.URL.Path] = n - 1
		s.jsonOut(w, 502, map[string]string{"detail": "bad gateway"})
		return
	}
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/api/token/refresh" && r.Method == http.MethodPost {
		var in struct {
			Refresh string `json:"refresh"`
		}
		if json.Unmarshal(body, &in) != nil || in.Refresh != s.pat {
			s.jsonOut(w, 401, map[string]string{"detail": "Token is invalid or expired"})
			return
		}
		s.refreshes++
		s.accessN++
		tok := fmt.Sprintf("access-%d", s.accessN)
		s.access[tok] = s.accessTTL
		s.jsonOut(w, 200, map[string]string{"access": tok})
		return
	}
	if !s.authorised(r) {
		s.jsonOut(w, 401, map[string]string{"detail": "Authentication credentials were not provided."})
		return
	}
	switch {
	case r.URL.Path == "/api/tasks/" && r.Method == http.MethodGet:
		s.listTasks(w, r)
	case r.URL.Path == "/api/predictions/" && r.Method == http.MethodPost:
		var p Prediction
		if err := json.Unmarshal(body, &p); err != nil {
			s.jsonOut(w, 400, map[string]string{"detail": err.Error()})
			return
		}
		st := s.task(p.Task)
		if st == nil {
			s.jsonOut(w, 400, map[string]string{"detail": "task does not exist"})
			return
		}
		if msg := s.checkPrediction(p, st); msg != "" {
			s.t.Errorf("prediction for task %d breaks the schema: %s", p.Task, msg)
			s.jsonOut(w, 400, map[string]string{"detail": msg})
			return
		}
		st.Predictions = append(st.Predictions, p)
		s.jsonOut(w, 201, map[string]int{"id": 1000 + len(st.Predictions)})
	case r.URL.Path == fmt.Sprintf("/api/projects/%d/import", s.project) && r.Method == http.MethodPost:
		var in []struct {
			Data        map[string]any `json:"data"`
			Meta        map[string]any `json:"meta"`
			Predictions []Prediction   `json:"predictions"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			s.t.Errorf("import body is not a task list: %v", err)
			s.jsonOut(w, 400, map[string]string{"detail": err.Error()})
			return
		}
		for _, it := range in {
			if _, ok := it.Data["image"].(string); !ok {
				s.t.Errorf("imported task without data.image")
			}
			st := s.addTask(it.Data["image"].(string))
			st.Data, st.Meta = it.Data, it.Meta
			for _, p := range it.Predictions {
				if msg := s.checkPrediction(p, st); msg != "" {
					s.t.Errorf("imported prediction breaks the schema: %s", msg)
				}
				st.Predictions = append(st.Predictions, p)
			}
		}
		s.jsonOut(w, 201, map[string]any{"task_count": len(in), "prediction_count": len(in)})
	default:
		s.jsonOut(w, 404, map[string]string{"detail": "Not found."})
	}
}

func (s *contractServer) task(id int) *serverTask {
	for _, t := range s.tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// checkPrediction enforces the SDK schema: model_version, a result list of
// brushlabels with the project's from/to names and labels, format rle
// and a stream that decodes to exactly W*H*4.
func (s *contractServer) checkPrediction(p Prediction, st *serverTask) string {
	if p.ModelVersion == "" {
		return "model_version missing"
	}
	for _, r := range p.Result {
		if r.Type != "brushlabels" || r.FromName != s.fromName || r.ToName != s.toName {
			return fmt.Sprintf("result %s %s→%s", r.Type, r.FromName, r.ToName)
		}
		if r.Value.Format != "rle" || len(r.Value.BrushLabels) != 1 || len(s.labels) > 0 && !s.labels[r.Value.BrushLabels[0]] {
			return fmt.Sprintf("value %s %v", r.Value.Format, r.Value.BrushLabels)
		}
		if _, err := Decode(r.Value.RLE, 4*r.OriginalWidth*r.OriginalHeight); err != nil {
			return err.Error()
		}
	}
	return ""
}

func (s *contractServer) listTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("project") != strconv.Itoa(s.project) {
		s.jsonOut(w, 200, map[string]any{"tasks": []any{}, "total": 0})
		return
	}
	page, _ := strconv.Atoi(q.Get("page"))
	size, _ := strconv.Atoi(q.Get("page_size"))
	if page < 1 || size < 1 {
		s.jsonOut(w, 400, map[string]string{"detail": "page and page_size"})
		return
	}
	lo := (page - 1) * size
	if lo >= len(s.tasks) && page > 1 {
		s.jsonOut(w, 404, map[string]string{"detail": "Invalid page."})
		return
	}
	all := q.Get("fields") == "all"
	var out []map[string]any
	for _, t := range s.tasks[lo:min(lo+size, len(s.tasks))] {
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
	if out == nil {
		out = []map[string]any{}
	}
	s.jsonOut(w, 200, map[string]any{"tasks": out, "total": len(s.tasks), "total_annotations": 0, "total_predictions": 0})
}
