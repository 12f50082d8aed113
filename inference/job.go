package inference

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// JobState is where a job is in its life.
type JobState string

// Job states.
const (
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobDone      JobState = "done"
	JobFailed    JobState = "failed"
	JobCancelled JobState = "cancelled"
)

// JobFunc is the work of a job: it reports through j and honours ctx.
type JobFunc func(ctx context.Context, j *Job) (any, error)

// Job is one background run: its stage, fraction, ETA, log, result.
type Job struct {
	ID    int
	Name  string // what runs (the model)
	Study string // what it runs on (a title, free of patient identity)

	runner *Runner
	fn     JobFunc
	done   func(*Job)

	mu       sync.Mutex
	state    JobState
	stage    string
	fraction float64
	device   string
	queued   time.Time
	started  time.Time
	finished time.Time
	log      []string
	result   any
	err      error
	ctx      context.Context
	cancel   context.CancelFunc
	lastNote time.Time
}

// JobInfo is a snapshot of a job for display.
type JobInfo struct {
	ID       int           `json:"id"`
	Name     string        `json:"name"`
	Study    string        `json:"study"`
	State    JobState      `json:"state"`
	Stage    string        `json:"stage"`
	Fraction float64       `json:"fraction"`
	Device   string        `json:"device,omitempty"`
	Elapsed  time.Duration `json:"elapsed"`
	ETA      time.Duration `json:"eta"` // 0 when unknown
	Error    string        `json:"error,omitempty"`
	Log      []string      `json:"log,omitempty"`
}

// Info snapshots the job.
func (j *Job) Info() JobInfo {
	j.mu.Lock()
	defer j.mu.Unlock()
	in := JobInfo{ID: j.ID, Name: j.Name, Study: j.Study, State: j.state, Stage: j.stage, Fraction: j.fraction, Device: j.device, Log: append([]string(nil), j.log...)}
	switch {
	case !j.finished.IsZero():
		in.Elapsed = j.finished.Sub(j.started)
	case !j.started.IsZero():
		in.Elapsed = time.Since(j.started)
		if j.fraction > 0.02 {
			in.ETA = time.Duration(float64(in.Elapsed) * (1 - j.fraction) / j.fraction)
		}
	}
	if j.err != nil {
		in.Error = j.err.Error()
	}
	return in
}

// Result is what the job's function returned, once it is done.
func (j *Job) Result() (any, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.result, j.err
}

// State is the job's state.
func (j *Job) State() JobState {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state
}

// Progress records the stage and overall fraction; observers hear of it
// at most ten times a second (and always when the stage changes).
func (j *Job) Progress(stage string, fraction float64) {
	j.mu.Lock()
	changed := stage != j.stage
	j.stage, j.fraction = stage, fraction
	now := time.Now()
	notify := changed || now.Sub(j.lastNote) >= 100*time.Millisecond
	if notify {
		j.lastNote = now
	}
	j.mu.Unlock()
	if notify {
		j.runner.notify(j)
	}
}

// Logf appends a line to the job's log.
func (j *Job) Logf(format string, args ...any) {
	line := time.Now().Format("15:04:05 ") + fmt.Sprintf(format, args...)
	j.mu.Lock()
	j.log = append(j.log, line)
	j.mu.Unlock()
	j.runner.notify(j)
}

// SetDevice records where the job runs.
func (j *Job) SetDevice(d string) {
	j.mu.Lock()
	j.device = d
	j.mu.Unlock()
	j.runner.notify(j)
}

// Cancel stops the job: a queued job never starts, a running one is told
// through its context (models stop within the tile they are on).
func (j *Job) Cancel() {
	j.mu.Lock()
	if j.state == JobQueued {
		j.state = JobCancelled
		j.finished = time.Now()
		j.started = j.finished
		j.err = context.Canceled
		j.mu.Unlock()
		j.runner.notify(j)
		if j.done != nil {
			j.done(j)
		}
		return
	}
	c := j.cancel
	j.mu.Unlock()
	if c != nil {
		c()
	}
}

// Runner runs jobs in the background, Workers at a time (one by default:
// a second model run would only share the same cores), in the order they
// were submitted.
type Runner struct {
	// OnChange is called (from a background goroutine) when a job
	// changes; the UI hops to its own goroutine from there.
	OnChange func(JobInfo)

	mu      sync.Mutex
	jobs    []*Job
	queue   []*Job
	running int
	workers int
	nextID  int
	base    context.Context
}

// NewRunner makes a runner with the given number of workers (≥ 1).
func NewRunner(workers int) *Runner {
	return &Runner{workers: max(1, workers), base: context.Background()}
}

// Submit queues a job; done (may be nil) is called from the worker when
// the job ends, whatever the outcome.
func (r *Runner) Submit(name, study string, fn JobFunc, done func(*Job)) *Job {
	r.mu.Lock()
	r.nextID++
	j := &Job{ID: r.nextID, Name: name, Study: study, runner: r, fn: fn, done: done, state: JobQueued, queued: time.Now(), stage: "queued"}
	r.jobs = append(r.jobs, j)
	r.queue = append(r.queue, j)
	r.mu.Unlock()
	r.notify(j)
	r.pump()
	return j
}

// Jobs lists every job, oldest first.
func (r *Runner) Jobs() []JobInfo {
	r.mu.Lock()
	js := append([]*Job(nil), r.jobs...)
	r.mu.Unlock()
	out := make([]JobInfo, len(js))
	for i, j := range js {
		out[i] = j.Info()
	}
	return out
}

// Job returns the job with the given id.
func (r *Runner) Job(id int) *Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range r.jobs {
		if j.ID == id {
			return j
		}
	}
	return nil
}

// Wait blocks until the job ends.
func (j *Job) Wait() {
	for {
		switch j.State() {
		case JobDone, JobFailed, JobCancelled:
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *Runner) notify(j *Job) {
	if r.OnChange != nil {
		r.OnChange(j.Info())
	}
}

// pump starts queued jobs while workers are free.
func (r *Runner) pump() {
	for {
		r.mu.Lock()
		if r.running >= r.workers || len(r.queue) == 0 {
			r.mu.Unlock()
			return
		}
		j := r.queue[0]
		r.queue = r.queue[1:]
		j.mu.Lock()
		if j.state != JobQueued { // cancelled while queued
			j.mu.Unlock()
			r.mu.Unlock()
			continue
		}
		j.ctx, j.cancel = context.WithCancel(r.base)
		j.state = JobRunning
		j.started = time.Now()
		j.stage = "starting"
		j.mu.Unlock()
		r.running++
		r.mu.Unlock()
		go r.run(j)
	}
}

func (r *Runner) run(j *Job) {
	r.notify(j)
	res, err := safeRun(j)
	j.mu.Lock()
	j.finished = time.Now()
	j.result, j.err = res, err
	switch {
	case err == nil:
		j.state, j.stage, j.fraction = JobDone, "done", 1
	case errors.Is(err, context.Canceled):
		j.state, j.stage = JobCancelled, "cancelled"
	default:
		j.state, j.stage = JobFailed, "failed"
	}
	j.cancel()
	j.mu.Unlock()
	r.mu.Lock()
	r.running--
	r.mu.Unlock()
	r.notify(j)
	if j.done != nil {
		j.done(j)
	}
	r.pump()
}

// safeRun turns a panic in a job into its error: a model run must never
// take the viewer down with it.
func safeRun(j *Job) (res any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error in %s: %v", j.Name, p)
		}
	}()
	return j.fn(j.ctx, j)
}
