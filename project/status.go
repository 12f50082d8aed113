package project

import (
	"fmt"
	"strings"
)

// Status is a case's review state.
type Status string

// The review states, in worklist order.
const (
	Todo        Status = "todo"
	InProgress  Status = "in progress"
	NeedsReview Status = "needs review"
	Done        Status = "done"
	Rejected    Status = "rejected"
)

// Statuses lists every status.
var Statuses = []Status{Todo, InProgress, NeedsReview, Done, Rejected}

// ParseStatus accepts a status as written or with - or _ for the space
// ("in-progress", "needs_review"), in any case.
func ParseStatus(s string) (Status, error) {
	t := strings.ToLower(strings.NewReplacer("-", " ", "_", " ").Replace(strings.TrimSpace(s)))
	for _, st := range Statuses {
		if string(st) == t {
			return st, nil
		}
	}
	names := make([]string, len(Statuses))
	for i, st := range Statuses {
		names[i] = string(st)
	}
	return "", fmt.Errorf("unknown status %q (one of: %s)", s, strings.Join(names, ", "))
}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	for _, st := range Statuses {
		if s == st {
			return true
		}
	}
	return false
}

// ParseStatuses reads a comma-separated list of statuses ("done,needs
// review"); "" is none.
func ParseStatuses(s string) ([]Status, error) {
	var out []Status
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(s, ",") {
		st, err := ParseStatus(f)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}
