package labelstudio

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Token types: a legacy token never expires and goes in "Authorization:
// Token …"; a personal access token (PAT) is a JWT refresh token traded at
// /api/token/refresh for short-lived access tokens ("Bearer …").
const (
	TokenAuto   = "auto"
	TokenPAT    = "pat"
	TokenLegacy = "legacy"
)

// Client talks to a Label Studio server's REST API. It never sends a
// DELETE, never writes the token anywhere (errors are scrubbed of it), and
// retries 5xx answers and dropped connections with bounded backoff.
type Client struct {
	URL       string // server root, e.g. http://localhost:8080
	Token     string
	TokenType string // auto, pat or legacy
	HTTP      *http.Client
	// Retries is how many times a request is repeated after a 5xx or a
	// dropped connection (default 4); Backoff the first wait, doubled each
	// time (default 500 ms).
	Retries int
	Backoff time.Duration
	// PageSize of task listing (default 100).
	PageSize int

	access string // the PAT's current access token
}

// HTTPError is an answer the server gave that is not a success.
type HTTPError struct {
	Method, Path string
	Status       int
	Body         string // the start of the answer, scrubbed of the token
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("Label Studio %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// AuthError says the server refused the token (401 after a refresh, or
// 403): the user needs another token, not a retry.
type AuthError struct{ *HTTPError }

func (e *AuthError) Error() string {
	return e.HTTPError.Error() + " (check the token and its type: --token-type pat|legacy)"
}

func (e *AuthError) Unwrap() error { return e.HTTPError }

// IsPAT says whether a token is a personal access token: a JWT whose
// payload has token_type "refresh".
func IsPAT(tok string) bool {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return false
	}
	var claims struct {
		TokenType string `json:"token_type"`
	}
	return json.Unmarshal(payload, &claims) == nil && claims.TokenType == "refresh"
}

func (c *Client) pat() bool {
	switch c.TokenType {
	case TokenPAT:
		return true
	case TokenLegacy:
		return false
	}
	return IsPAT(c.Token)
}

func (c *Client) scrub(s string) string {
	for _, t := range []string{c.Token, c.access} {
		if t != "" {
			s = strings.ReplaceAll(s, t, "<token>")
		}
	}
	return s
}

// refresh trades the PAT for an access token.
func (c *Client) refresh(ctx context.Context) error {
	var out struct {
		Access string `json:"access"`
	}
	body, _ := json.Marshal(map[string]string{"refresh": c.Token})
	if err := c.send(ctx, http.MethodPost, "/api/token/refresh", body, "application/json", "", &out); err != nil {
		var he *HTTPError
		if errors.As(err, &he) && (he.Status == 401 || he.Status == 403) {
			return &AuthError{he}
		}
		return err
	}
	if out.Access == "" {
		return errors.New("Label Studio /api/token/refresh gave no access token")
	}
	c.access = out.Access
	return nil
}

// Do sends one API request with JSON body (nil for none) and decodes the
// JSON answer into out (nil to ignore it).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
	}
	return c.doRaw(ctx, method, path, raw, "application/json", out)
}

func (c *Client) doRaw(ctx context.Context, method, path string, raw []byte, contentType string, out any) error {
	if method == http.MethodDelete {
		return errors.New("labelstudio: Delineate never sends DELETE to Label Studio")
	}
	auth := "Token " + c.Token
	if c.pat() {
		if c.access == "" {
			if err := c.refresh(ctx); err != nil {
				return err
			}
		}
		auth = "Bearer " + c.access
	}
	err := c.send(ctx, method, path, raw, contentType, auth, out)
	var he *HTTPError
	if errors.As(err, &he) && he.Status == 401 && c.pat() {
		// Access tokens live about five minutes: refresh once and retry.
		if err := c.refresh(ctx); err != nil {
			return err
		}
		err = c.send(ctx, method, path, raw, contentType, "Bearer "+c.access, out)
	}
	if errors.As(err, &he) && (he.Status == 401 || he.Status == 403) {
		return &AuthError{he}
	}
	return err
}

// send makes one request, repeating it on 5xx and dropped connections.
func (c *Client) send(ctx context.Context, method, path string, raw []byte, contentType, auth string, out any) error {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	retries, wait := c.Retries, c.Backoff
	if retries <= 0 {
		retries = 4
	}
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	var last error
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			wait = min(2*wait, 8*time.Second)
		}
		var rd io.Reader
		if raw != nil {
			rd = bytes.NewReader(raw)
		}
		req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+path, rd)
		if err != nil {
			return err
		}
		if raw != nil {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Accept", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			last = errors.New(c.scrub(err.Error())) // a dropped connection: try again
			continue
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			last = errors.New(c.scrub(err.Error()))
			continue
		}
		if resp.StatusCode >= 500 {
			last = &HTTPError{Method: method, Path: pathOnly(path), Status: resp.StatusCode, Body: c.scrub(snippet(b))}
			continue
		}
		if resp.StatusCode >= 300 {
			return &HTTPError{Method: method, Path: pathOnly(path), Status: resp.StatusCode, Body: c.scrub(snippet(b))}
		}
		if out != nil && len(b) > 0 {
			if err := json.Unmarshal(b, out); err != nil {
				return fmt.Errorf("Label Studio %s %s: unexpected answer: %v", method, pathOnly(path), err)
			}
		}
		return nil
	}
	return fmt.Errorf("Label Studio %s %s failed after %d attempts: %w", method, pathOnly(path), retries+1, last)
}

func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// Tasks lists every task of a project with its annotations and
// predictions (fields=all), page by page until a 404, an empty page or
// the total.
func (c *Client) Tasks(ctx context.Context, projectID int) ([]Task, error) {
	size := c.PageSize
	if size <= 0 {
		size = 100
	}
	var all []Task
	for page := 1; ; page++ {
		q := url.Values{"project": {fmt.Sprint(projectID)}, "page": {fmt.Sprint(page)}, "page_size": {fmt.Sprint(size)}, "fields": {"all"}}
		var out struct {
			Tasks []Task `json:"tasks"`
			Total int    `json:"total"`
		}
		err := c.Do(ctx, http.MethodGet, "/api/tasks/?"+q.Encode(), nil, &out)
		var he *HTTPError
		if errors.As(err, &he) && he.Status == 404 && page > 1 {
			break
		}
		if err != nil {
			return nil, err
		}
		all = append(all, out.Tasks...)
		// The total, where the server gives one, ends the listing early;
		// otherwise an empty page or the 404 past the end does.
		if len(out.Tasks) == 0 || (out.Total > 0 && page*size >= out.Total) {
			break
		}
	}
	return all, nil
}

// UploadImages uploads image files to a project as new tasks (Label
// Studio makes one task per file, served from /data/upload/…), in one
// multipart request.
func (c *Client) UploadImages(ctx context.Context, projectID int, paths []string) error {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fw, err := mw.CreateFormFile(filepath.Base(p), filepath.Base(p))
		if err != nil {
			return err
		}
		if _, err := fw.Write(b); err != nil {
			return err
		}
	}
	if err := mw.Close(); err != nil {
		return err
	}
	return c.doRaw(ctx, http.MethodPost, fmt.Sprintf("/api/projects/%d/import", projectID), body.Bytes(), mw.FormDataContentType(), nil)
}
