package ui

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// In tests the goroutine running the test is the UI goroutine, as the
// main goroutine is in the app: tests touch widgets directly, so every
// do from elsewhere (loads, jobs, autosaves) is queued and run on the test
// goroutine when it waits (waitFor, drainUI). A do on the test goroutine
// itself runs at once.
var uiGoroutine atomic.Int64

var uiQueue = make(chan func(), 4096)

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

// testDo is the tests' do.
func testDo(fn func()) {
	if goid() == uiGoroutine.Load() {
		fn()
		return
	}
	uiQueue <- fn
}

// becomeUI makes the calling test goroutine the UI goroutine.
func becomeUI() { uiGoroutine.Store(goid()) }

// drainUI runs what is queued for the UI, waiting up to d for the first.
func drainUI(d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case fn := <-uiQueue:
		fn()
	case <-timer.C:
		return
	}
	for {
		select {
		case fn := <-uiQueue:
			fn()
		default:
			return
		}
	}
}

func TestMain(m *testing.M) {
	do = testDo
	os.Exit(m.Run())
}
