package ui

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
)

// uiGoroutine is the id of the goroutine that runs every do in tests.
var uiGoroutine atomic.Int64

var uiQueue = make(chan func())

func goid() int64 {
	var b [64]byte
	n := runtime.Stack(b[:], false)
	f := bytes.Fields(b[:n])
	if len(f) < 2 {
		return -1
	}
	id, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return id
}

// onUI runs fn on the single test UI goroutine and waits for it; called
// from that goroutine (a callback that calls do), it runs fn at once.
func onUI(fn func()) {
	if goid() == uiGoroutine.Load() {
		fn()
		return
	}
	done := make(chan struct{})
	uiQueue <- func() {
		defer close(done)
		fn()
	}
	<-done
}

func TestMain(m *testing.M) {
	go func() {
		uiGoroutine.Store(goid())
		for fn := range uiQueue {
			fn()
		}
	}()
	do = onUI
	os.Exit(m.Run())
}
