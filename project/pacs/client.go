package pacs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// Auth is how the client identifies itself: nothing, HTTP Basic
// (Username and Password) or a bearer Token. Its String and GoString
// print no secret, so an Auth in a log line or a %v is safe.
type Auth struct {
	Username string
	Password string
	Token    string
}

func (a Auth) String() string {
	switch {
	case a.Token != "":
		return "bearer token"
	case a.Username != "":
		return "basic auth as " + a.Username
	}
	return "no auth"
}

func (a Auth) GoString() string { return "pacs.Auth{" + a.String() + "}" }

// Config describes a DICOMweb server.
type Config struct {
	// URL is the DICOMweb root, e.g. http://pacs:8042/dicom-web (QIDO,
	// WADO and STOW paths are appended to it).
	URL  string
	Auth Auth
	// CAFile is a PEM file of CA certificates to trust for HTTPS instead
	// of the system roots.
	CAFile string
	// Timeout bounds connecting and waiting for a response's headers
	// (default 30 s). A streamed body is not bounded as a whole; a stalled
	// one fails after Timeout without data.
	Timeout time.Duration
	// Retries is how many times a request is repeated after a 5xx answer or
	// a dropped connection (default 3; negative for none), with backoff.
	Retries int
	// Transport replaces the HTTP transport (tests); CAFile and Timeout
	// then do not apply to it.
	Transport http.RoundTripper
}

// Client talks to one DICOMweb server. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	auth    Auth
	http    *http.Client
	timeout time.Duration
	retries int
	backoff time.Duration
}

// New checks cfg and builds a client; it does not contact the server.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("pacs: URL %q: want http(s)://host[:port]/dicom-web-root", redactURL(cfg.URL))
	}
	if u.User != nil {
		return nil, fmt.Errorf("pacs: URL %s: put credentials in a password or token file, not in the URL", redactURL(cfg.URL))
	}
	u.RawQuery, u.Fragment = "", ""
	c := &Client{base: u, auth: cfg.Auth, timeout: cfg.Timeout, retries: cfg.Retries, backoff: 500 * time.Millisecond}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.retries == 0 {
		c.retries = 3
	} else if c.retries < 0 {
		c.retries = 0
	}
	rt := cfg.Transport
	if rt == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = (&net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second}).DialContext
		tr.ResponseHeaderTimeout = c.timeout
		tr.TLSHandshakeTimeout = c.timeout
		// Ask for the bytes as stored: transparent gzip would hide the
		// byte counts progress reports.
		tr.DisableCompression = true
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("pacs: CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("pacs: CA file %s holds no PEM certificate", cfg.CAFile)
			}
			tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		rt = tr
	}
	c.http = &http.Client{Transport: rt, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		// Never carry credentials to another host.
		if len(via) > 0 && req.URL.Host != via[0].URL.Host {
			return fmt.Errorf("redirect to another host refused")
		}
		if len(via) >= 5 {
			return fmt.Errorf("too many redirects")
		}
		return nil
	}}
	return c, nil
}

// URL is the DICOMweb root the client talks to (no credentials).
func (c *Client) URL() string { return c.base.String() }

// redactURL drops any user info and query from a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

func (c *Client) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawQuery = encodeQuery(q)
	return u.String()
}

// encodeQuery writes QIDO parameters with as little escaping as the URL
// syntax allows: Orthanc 1.10's DICOMweb plugin does not percent-decode
// query values (PatientName=Fixture%5E* matches nothing, Fixture^* does;
// an escaped comma splits no includefield list), so the wildcards, ^ and
// commas go as they are. Only bytes that cannot appear in a query (space,
// controls, non-ASCII) and the delimiters & # + = % are escaped; a value
// holding them will not match on such a server (use ? as the wildcard).
func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(escapeQuery(k))
			b.WriteByte('=')
			b.WriteString(escapeQuery(v))
		}
	}
	return b.String()
}

func escapeQuery(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("&#+=%\"<>`{}|", c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (c *Client) authorize(req *http.Request) {
	switch {
	case c.auth.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.auth.Token)
	case c.auth.Username != "" || c.auth.Password != "":
		req.SetBasicAuth(c.auth.Username, c.auth.Password)
	}
}

// request is one HTTP exchange to make, maybe several times.
type request struct {
	op, method, path string
	query            url.Values
	header           http.Header
	body             func() (io.ReadCloser, error) // nil: no body; called again for each try
	// retryUnsent: for a non-idempotent request, retry only when it surely
	// did not reach the server (dial failure) or the server said 503.
	retryUnsent bool
	// keep, if set, says which non-2xx answers the caller reads itself.
	keep func(status int) bool
}

// do sends r and returns a 2xx response whose body the caller closes;
// any other outcome is an *Error. GETs are retried on 5xx and transport
// failures, with exponential backoff and jitter.
func (c *Client) do(ctx context.Context, r request) (*http.Response, error) {
	var last error
	for try := 0; ; try++ {
		resp, err, retry := c.once(ctx, r)
		if err == nil {
			return resp, nil
		}
		last = err
		if !retry || try >= c.retries {
			return nil, last
		}
		if err := c.sleep(ctx, try); err != nil {
			return nil, c.wrap(r.op, r.path, err)
		}
	}
}

// sleep waits the backoff for retry number try, or until ctx ends.
func (c *Client) sleep(ctx context.Context, try int) error {
	d := c.backoff << try
	if d > 8*time.Second {
		d = 8 * time.Second
	}
	d += time.Duration(rand.Int64N(int64(d)/4 + 1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) once(ctx context.Context, r request) (*http.Response, error, bool) {
	var body io.ReadCloser
	if r.body != nil {
		b, err := r.body()
		if err != nil {
			return nil, err, false
		}
		body = b
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.endpoint(r.path, r.query), body)
	if err != nil {
		if body != nil {
			body.Close()
		}
		return nil, c.wrap(r.op, r.path, err), false
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "Delineate-DICOMweb/1")
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		e := c.wrap(r.op, r.path, err)
		retry := e.(*Error).Kind == KindUnreachable
		if r.retryUnsent {
			retry = retry && isDialError(err)
		}
		return nil, e, retry
	}
	if resp.StatusCode/100 == 2 || (r.keep != nil && r.keep(resp.StatusCode)) {
		return resp, nil, false
	}
	e := statusError(r.op, r.path, resp)
	retry := resp.StatusCode >= 500 && resp.StatusCode != 501
	if r.retryUnsent {
		retry = resp.StatusCode == 503
	}
	return nil, e, retry
}

// statusError reads (a bounded part of) an error response and closes it.
// Orthanc's error bodies are JSON sent without a Content-Type.
func statusError(op, path string, resp *http.Response) *Error {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<10))
	e := &Error{Kind: kindOfStatus(resp.StatusCode), Op: op, Path: path, Status: resp.StatusCode}
	var o struct{ Message, Details string }
	if json.Unmarshal(b, &o) == nil {
		e.Detail = strings.TrimSpace(o.Message)
		if o.Details != "" && o.Details != o.Message {
			if e.Detail != "" {
				e.Detail += ": "
			}
			e.Detail += o.Details
		}
	}
	if e.Kind == KindUnauthorized && resp.Header.Get("WWW-Authenticate") != "" {
		e.Detail = "the server asks for " + strings.Fields(resp.Header.Get("WWW-Authenticate"))[0] + " authentication"
	}
	return e
}

// wrap turns a transport or context error into an *Error.
func (c *Client) wrap(op, path string, err error) error {
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindCancelled, Op: op, Path: path, Err: err}
	}
	detail := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		// url.Error repeats the URL with its query; keep the cause only.
		detail = ue.Err.Error()
	}
	return &Error{Kind: KindUnreachable, Op: op, Path: path, Detail: detail, Err: err}
}

func isDialError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}
