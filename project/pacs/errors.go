package pacs

import (
	"context"
	"errors"
	"fmt"
)

// Kind classifies a failure by what the user can do about it.
type Kind int

const (
	KindOther        Kind = iota
	KindUnauthorized      // 401: wrong user name or password, or a bad token
	KindForbidden         // 403: the account may not do this
	KindNotFound          // 404: no such study, series or instance
	KindBadRequest        // 4xx other than the above: the server refused the request
	KindServer            // 5xx: the server failed
	KindUnreachable       // no connection: wrong host or port, network down, TLS failure, dropped connection
	KindCancelled         // the caller cancelled (context)
	KindProtocol          // the server answered something this client cannot read
)

// Sentinel errors to test with errors.Is; every *Error matches the one of
// its Kind.
var (
	ErrUnauthorized = errors.New("pacs: wrong user name or password (or token)")
	ErrForbidden    = errors.New("pacs: access denied")
	ErrNotFound     = errors.New("pacs: not found")
	ErrBadRequest   = errors.New("pacs: request refused by the server")
	ErrServer       = errors.New("pacs: server error")
	ErrUnreachable  = errors.New("pacs: server unreachable")
	ErrCancelled    = errors.New("pacs: cancelled")
	ErrProtocol     = errors.New("pacs: unexpected response")
)

var kindErr = map[Kind]error{
	KindUnauthorized: ErrUnauthorized, KindForbidden: ErrForbidden, KindNotFound: ErrNotFound,
	KindBadRequest: ErrBadRequest, KindServer: ErrServer, KindUnreachable: ErrUnreachable,
	KindCancelled: ErrCancelled, KindProtocol: ErrProtocol,
}

// Error is a failed DICOMweb operation. Path is the request path without
// the query string (a QIDO query may carry a patient name); it holds UIDs
// at most, which are not patient data.
type Error struct {
	Kind   Kind
	Op     string // "search", "retrieve", "store"
	Path   string
	Status int    // HTTP status, 0 when there was no response
	Detail string // the server's message (Orthanc's "Message"/"Details"), or the transport error
	Err    error  // the underlying error, if any
}

func (e *Error) Error() string {
	var what string
	switch e.Kind {
	case KindUnauthorized:
		what = "wrong user name or password (or token)"
	case KindForbidden:
		what = "access denied"
	case KindNotFound:
		what = "not found"
	case KindBadRequest:
		what = "the server refused the request"
	case KindServer:
		what = "server error"
	case KindUnreachable:
		what = "server unreachable"
	case KindCancelled:
		what = "cancelled"
	case KindProtocol:
		what = "unexpected response"
	default:
		what = "failed"
	}
	s := fmt.Sprintf("pacs %s %s: %s", e.Op, e.Path, what)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of e's Kind, and context.Canceled for a
// cancelled operation.
func (e *Error) Is(target error) bool {
	if s, ok := kindErr[e.Kind]; ok && s == target {
		return true
	}
	return e.Kind == KindCancelled && target == context.Canceled
}

// KindOf returns the Kind of err (KindOther when it is not a *Error).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return KindCancelled
	}
	return KindOther
}

func kindOfStatus(status int) Kind {
	switch {
	case status == 401:
		return KindUnauthorized
	case status == 403:
		return KindForbidden
	case status == 404:
		return KindNotFound
	case status >= 500:
		return KindServer
	case status >= 400:
		return KindBadRequest
	}
	return KindProtocol
}
