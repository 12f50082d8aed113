package sam

import "sync"

// Coalescer runs prompts one at a time; a prompt submitted while one runs
// replaces any that waits, so a burst of clicks costs the one running and
// the last. run gets each prompt in turn, on a goroutine of its own.
type Coalescer struct {
	run     func(Prompt)
	mu      sync.Mutex
	busy    bool
	pending *Prompt
	wg      sync.WaitGroup
}

// NewCoalescer makes a coalescer around run.
func NewCoalescer(run func(Prompt)) *Coalescer { return &Coalescer{run: run} }

// Submit queues p, replacing a prompt that has not started.
func (c *Coalescer) Submit(p Prompt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busy {
		c.pending = &p
		return
	}
	c.busy = true
	c.wg.Add(1)
	go c.loop(p)
}

func (c *Coalescer) loop(p Prompt) {
	defer c.wg.Done()
	for {
		c.run(p)
		c.mu.Lock()
		if c.pending == nil {
			c.busy = false
			c.mu.Unlock()
			return
		}
		p = *c.pending
		c.pending = nil
		c.mu.Unlock()
	}
}

// Wait returns when nothing runs or waits.
func (c *Coalescer) Wait() { c.wg.Wait() }
