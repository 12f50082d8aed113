package ui

import "context"

type contextT = context.Context

var errCanceled = context.Canceled
