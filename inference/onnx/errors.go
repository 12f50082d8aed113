package onnx

import (
	"fmt"
	"strings"
)

// A FormatError reports that the bytes are not a valid ONNX ModelProto.
// Like image/png's FormatError it is a plain string, so callers can test for
// it with errors.As and show its text. The text names the field path where
// the problem was found, for instance "graph.node[3].attribute[1]: truncated".
type FormatError string

func (e FormatError) Error() string { return "onnx: invalid format: " + string(e) }

// parseError is a FormatError under construction: the parsers of nested
// messages return it and their callers prepend where they were, so the
// final message reads as a path from the model down to the bad field.
type parseError struct {
	path []string // innermost last once complete; built by prepending
	msg  string
}

func (e *parseError) Error() string { return e.format().Error() }

func (e *parseError) format() FormatError {
	if len(e.path) == 0 {
		return FormatError(e.msg)
	}
	return FormatError(strings.Join(e.path, ".") + ": " + e.msg)
}

func errorf(format string, args ...any) error {
	return &parseError{msg: fmt.Sprintf(format, args...)}
}

// within records that err happened inside the message named by format.
func within(err error, format string, args ...any) error {
	if pe, ok := err.(*parseError); ok {
		pe.path = append([]string{fmt.Sprintf(format, args...)}, pe.path...)
	}
	return err
}

// withinAt is within for an element of a repeated field: name[index].
func withinAt(err error, name string, index int) error {
	return within(err, "%s[%d]", name, index)
}
