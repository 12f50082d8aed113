package builtin

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// pool runs the per-plane and per-slice passes on a fixed number of
// goroutines. Each worker owns its scratch buffers (one plane of each kind),
// so the passes allocate nothing per plane.
type pool struct {
	workers []*worker
	rep     *reporter
}

// worker is one goroutine's scratch, sized for the largest plane.
type worker struct {
	id        int       // 0..workers-1, for per-worker accumulators
	fl        []uint8   // flags of a plane
	hu        []float32 // HU of a plane
	m, m2, m3 []uint8   // 0/1 masks of a plane
	dist      []uint16  // row distances for the morphology
	lab       []int32   // 2D component labels
	queue     []int32   // BFS queue
	// per-2D-component statistics, reused
	area, hits []int32
	sum        []float64
	open       []bool
	bits       []uint64 // a plane's bitset
	reach      []int32  // per-column reach of cover
	reachH     []int32  // its reach table
}

func newPool(workers, planeLen int, rep *reporter) *pool {
	p := &pool{rep: rep}
	for id := range max(workers, 1) {
		p.workers = append(p.workers, &worker{id: id,
			fl: make([]uint8, planeLen), hu: make([]float32, planeLen),
			m: make([]uint8, planeLen), m2: make([]uint8, planeLen), m3: make([]uint8, planeLen),
			dist: make([]uint16, planeLen), lab: make([]int32, planeLen),
			queue: make([]int32, 0, 1024),
		})
	}
	return p
}

// each calls fn(w, i) for i in 0..n-1, each i once, spread over the
// workers, each taking the next i not yet taken. It checks ctx before every
// item, so a cancel takes effect within one item (a plane or a slice: a
// millisecond or so), and then returns ctx.Err() itself. Progress moves
// from f0 to f1 as items finish.
func (p *pool) each(ctx context.Context, stage string, f0, f1 float64, n int, fn func(w *worker, i int)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for _, w := range p.workers[:min(len(p.workers), max(n, 1))] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(w, i)
				d := done.Add(1)
				p.rep.at(stage, f0+(f1-f0)*float64(d)/float64(n))
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// reporter forwards progress to the caller's callback: serialised (the
// callback never runs on two goroutines at once), never going backwards,
// and at most once every minInterval, so that a UI sees a moving bar
// without being flooded from sixteen workers.
type reporter struct {
	mu   sync.Mutex
	fn   func(stage string, fraction float64)
	last time.Time
	f    float64
}

const minInterval = 4 * time.Millisecond

func (r *reporter) at(stage string, f float64) {
	if r == nil || r.fn == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f = max(f, r.f)
	r.f = f
	if now := time.Now(); now.Sub(r.last) >= minInterval {
		r.last = now
		r.fn(stage, min(f, 1))
	}
}

// done reports the end unconditionally: the last call a caller sees is
// ("done", 1).
func (r *reporter) done() {
	if r == nil || r.fn == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.f = 1
	r.fn("done", 1)
}
