package sam

import "sync"

// Coalescer runs requests one at a time; a request submitted while one
// runs replaces any that waits, so a burst of clicks costs the one running
// and the last. run gets each request in turn, on a goroutine of its own.
type Coalescer[T any] struct {
	run     func(T)
	mu      sync.Mutex
	busy    bool
	pending *T
	wg      sync.WaitGroup
}

// NewCoalescer makes a coalescer around run.
func NewCoalescer[T any](run func(T)) *Coalescer[T] { return &Coalescer[T]{run: run} }

// Submit queues r, replacing a request that has not started.
func (c *Coalescer[T]) Submit(r T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busy {
		c.pending = &r
		return
	}
	c.busy = true
	c.wg.Add(1)
	go c.loop(r)
}

func (c *Coalescer[T]) loop(r T) {
	defer c.wg.Done()
	for {
		c.run(r)
		c.mu.Lock()
		if c.pending == nil {
			c.busy = false
			c.mu.Unlock()
			return
		}
		r = *c.pending
		c.pending = nil
		c.mu.Unlock()
	}
}

// Wait returns when nothing runs or waits.
func (c *Coalescer[T]) Wait() { c.wg.Wait() }
