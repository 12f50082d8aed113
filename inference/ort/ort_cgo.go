//go:build cgo

package ort

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	ortgo "github.com/yalue/onnxruntime_go"

	"delineate/inference"
)

// IdleRelease is how long an unused session stays loaded, so that running
// the same model again (the next case of a worklist) skips the load.
var IdleRelease = 2 * time.Minute

// Runtime is the loaded ONNX Runtime library and its sessions.
type Runtime struct {
	Lib      string    // the library that loaded
	Version  string    // its version string
	Attempts []Attempt // what was tried before it loaded

	mu       sync.Mutex
	sessions map[sessionKey]*session
	cudaErr  string // why CUDA is unavailable, once tried; "" before
	cudaOK   bool
	cudaDone bool
}

type sessionKey struct {
	path, variant, input string
	output               string
	device               string // cpu or cuda: what the session really uses
	threads              int
}

type session struct {
	s        *ortgo.DynamicAdvancedSession
	dev      inference.DeviceInfo
	refs     int
	lastUsed time.Time
}

var (
	loadMu sync.Mutex
	loaded *Runtime
)

// Load finds and loads the library (see Candidates) once per process; a
// later call returns the same Runtime. When nothing loads, the error is a
// *LoadError listing every path tried and why it failed.
func Load(libFlag string) (*Runtime, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	if loaded != nil {
		return loaded, nil
	}
	var attempts []Attempt
	for _, c := range Candidates(libFlag) {
		a := Attempt{Candidate: c}
		if _, err := os.Stat(c.Path); err != nil {
			a.Err = "no such file"
			if !errors.Is(err, os.ErrNotExist) {
				a.Err = err.Error()
			}
			attempts = append(attempts, a)
			continue
		}
		ortgo.SetSharedLibraryPath(c.Path)
		if err := ortgo.InitializeEnvironment(ortgo.WithLogLevelError()); err != nil {
			a.Err = explainInit(err)
			attempts = append(attempts, a)
			continue
		}
		attempts = append(attempts, a)
		loaded = &Runtime{Lib: c.Path, Version: ortgo.GetVersion(), Attempts: attempts, sessions: map[sessionKey]*session{}}
		go loaded.releaseLoop()
		return loaded, nil
	}
	return nil, &LoadError{Attempts: attempts}
}

// explainInit turns onnxruntime_go's initialisation errors into what a
// user can act on.
func explainInit(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "OrtGetApiBase"):
		return "not an ONNX Runtime library (no OrtGetApiBase)"
	case strings.Contains(s, "ORT API base: 2"):
		return "incompatible ONNX Runtime: it does not provide C API version 24 (needs ONNX Runtime 1.24 or newer)"
	case strings.Contains(s, "Error loading ONNX shared library"):
		if i := strings.LastIndex(s, ": "); i >= 0 {
			return "cannot load: " + s[i+2:]
		}
	}
	return s
}

// Describe names the library and version.
func (r *Runtime) Describe() string {
	return fmt.Sprintf("ONNX Runtime %s (%s)", r.Version, r.Lib)
}

// Devices says which execution providers can run, probing CUDA once.
func (r *Runtime) Devices() (cuda bool, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.probeCUDALocked()
	return r.cudaOK, r.cudaErr
}

// probeCUDALocked tries to append the CUDA provider to throw-away options:
// the npm CPU build answers "Failed to load shared library" (it has no
// provider libraries), a GPU build succeeds. ORT logs an error line of its
// own on failure; it is silenced here because the reason is reported.
func (r *Runtime) probeCUDALocked() {
	if r.cudaDone {
		return
	}
	r.cudaDone = true
	opts, err := ortgo.NewSessionOptions()
	if err != nil {
		r.cudaErr = err.Error()
		return
	}
	defer opts.Destroy()
	if err := appendCUDA(opts); err != nil {
		r.cudaErr = err.Error()
		return
	}
	r.cudaOK = true
}

func appendCUDA(opts *ortgo.SessionOptions) error {
	cu, err := ortgo.NewCUDAProviderOptions()
	if err != nil {
		return fmt.Errorf("CUDA provider options: %v", err)
	}
	defer cu.Destroy()
	_ = ortgo.SetEnvironmentLogLevel(ortgo.LoggingLevelFatal)
	defer ortgo.SetEnvironmentLogLevel(ortgo.LoggingLevelError)
	if err := opts.AppendExecutionProviderCUDA(cu); err != nil {
		msg := err.Error()
		if strings.Contains(msg, "Failed to load shared library") {
			return fmt.Errorf("CUDA provider not available: this ONNX Runtime library has no CUDA provider libraries (libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so of the same version, CUDA 12, cuDNN 9); point %s at a GPU build", EnvLib)
		}
		return fmt.Errorf("CUDA provider: %s", msg)
	}
	return nil
}

// Open returns the session for spec, creating it the first time. auto
// tries CUDA and falls back to CPU; cuda fails when CUDA cannot run.
func (r *Runtime) Open(spec inference.NetSpec) (inference.Net, error) {
	if spec.Device == "" {
		spec.Device = "auto"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	dev, err := r.deviceLocked(spec.Device)
	if err != nil {
		return nil, err
	}
	key := sessionKey{spec.Path, spec.Variant, spec.Input, spec.Output, dev.Used, spec.Threads}
	if s := r.sessions[key]; s != nil {
		s.refs++
		s.lastUsed = time.Now()
		return &net{r: r, key: key, s: s}, nil
	}
	s, err := newSession(spec, dev.Used)
	if err != nil && dev.Used == "cuda" && spec.Device == "auto" {
		// A GPU build on a machine whose GPU or driver cannot run it.
		dev = inference.DeviceInfo{Requested: "auto", Used: "cpu", Why: "auto: CUDA session failed (" + short(err) + "); running on CPU"}
		key.device = "cpu"
		s, err = newSession(spec, "cpu")
	}
	if err != nil {
		return nil, err
	}
	s.dev = dev
	s.refs = 1
	s.lastUsed = time.Now()
	r.sessions[key] = s
	return &net{r: r, key: key, s: s}, nil
}

// deviceLocked decides where a session for the requested device runs:
// cpu, cuda (an error when CUDA cannot run) or auto (CUDA when it can,
// else CPU with the reason). r.mu must be held.
func (r *Runtime) deviceLocked(requested string) (inference.DeviceInfo, error) {
	if err := inference.CheckDevice(requested); err != nil {
		return inference.DeviceInfo{}, err
	}
	dev := inference.DeviceInfo{Requested: requested, Used: "cpu", Why: "CPU requested"}
	if requested == "cpu" {
		return dev, nil
	}
	r.probeCUDALocked()
	switch {
	case r.cudaOK:
		return inference.DeviceInfo{Requested: requested, Used: "cuda"}, nil
	case requested == "cuda":
		return dev, fmt.Errorf("--device cuda: %s", r.cudaErr)
	}
	dev.Why = "auto: " + r.cudaErr + "; running on CPU"
	return dev, nil
}

func short(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// ModelError is a model file that ONNX Runtime refuses.
type ModelError struct {
	Path string
	Err  string
}

func (e *ModelError) Error() string {
	return fmt.Sprintf("ONNX Runtime refuses %s: %s", e.Path, e.Err)
}

// sessionOptions are the options every session gets: intra-op threads
// (0: ONNX Runtime's default), no inter-op parallelism (one tile or one
// prompt at a time), and the CUDA provider when device is cuda. The
// caller destroys them.
func sessionOptions(threads int, device string) (*ortgo.SessionOptions, error) {
	opts, err := ortgo.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	if threads > 0 {
		if err := opts.SetIntraOpNumThreads(threads); err != nil {
			opts.Destroy()
			return nil, err
		}
	}
	_ = opts.SetInterOpNumThreads(1)
	if device == "cuda" {
		if err := appendCUDA(opts); err != nil {
			opts.Destroy()
			return nil, err
		}
	}
	return opts, nil
}

func newSession(spec inference.NetSpec, device string) (*session, error) {
	opts, err := sessionOptions(spec.Threads, device)
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	// The arena keeps the largest tile's buffers for the life of the
	// session; without it memory returns to the system between tiles and
	// the memory estimate of the tiler holds.
	_ = opts.SetCpuMemArena(false)
	var s *ortgo.DynamicAdvancedSession
	if spec.Data != nil {
		s, err = ortgo.NewDynamicAdvancedSessionWithONNXData(spec.Data, []string{spec.Input}, []string{spec.Output}, opts)
	} else {
		s, err = ortgo.NewDynamicAdvancedSession(spec.Path, []string{spec.Input}, []string{spec.Output}, opts)
	}
	if err != nil {
		return nil, &ModelError{Path: spec.Path, Err: strings.TrimPrefix(err.Error(), "Error creating C session: ")}
	}
	return &session{s: s}, nil
}

// ReleaseIdle destroys sessions no job has used for IdleRelease.
func (r *Runtime) ReleaseIdle() { r.release(IdleRelease) }

// ReleaseAll destroys every session no job is using.
func (r *Runtime) ReleaseAll() { r.release(0) }

func (r *Runtime) release(idle time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, s := range r.sessions {
		if s.refs == 0 && time.Since(s.lastUsed) >= idle {
			s.s.Destroy()
			delete(r.sessions, k)
		}
	}
}

// Sessions is the number of sessions held (for tests and the UI).
func (r *Runtime) Sessions() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sessions)
}

func (r *Runtime) releaseLoop() {
	for range time.Tick(30 * time.Second) {
		r.ReleaseIdle()
	}
}

// Inspect asks ONNX Runtime for a model file's inputs, outputs and
// metadata; an error means ORT refuses the file.
func (r *Runtime) Inspect(path string) (*IOInfo, error) {
	ins, outs, err := ortgo.GetInputOutputInfo(path)
	if err != nil {
		return nil, &ModelError{Path: path, Err: strings.TrimPrefix(err.Error(), "Error creating C session: ")}
	}
	info := &IOInfo{Metadata: map[string]string{}}
	conv := func(x []ortgo.InputOutputInfo) []TensorInfo {
		var t []TensorInfo
		for _, i := range x {
			t = append(t, TensorInfo{Name: i.Name, Type: typeName(i.DataType), Shape: append([]int64(nil), i.Dimensions...)})
		}
		return t
	}
	info.Inputs, info.Outputs = conv(ins), conv(outs)
	if md, err := ortgo.GetModelMetadata(path); err == nil {
		defer md.Destroy()
		if keys, err := md.GetCustomMetadataMapKeys(); err == nil {
			for _, k := range keys {
				if v, ok, err := md.LookupCustomMetadataMap(k); err == nil && ok {
					info.Metadata[k] = v
				}
			}
		}
	}
	return info, nil
}

func typeName(t ortgo.TensorElementDataType) string {
	switch t {
	case ortgo.TensorElementDataTypeFloat:
		return "float32"
	case ortgo.TensorElementDataTypeDouble:
		return "float64"
	case ortgo.TensorElementDataTypeFloat16:
		return "float16"
	case ortgo.TensorElementDataTypeInt64:
		return "int64"
	case ortgo.TensorElementDataTypeInt32:
		return "int32"
	case ortgo.TensorElementDataTypeUint8:
		return "uint8"
	case ortgo.TensorElementDataTypeInt8:
		return "int8"
	case ortgo.TensorElementDataTypeBool:
		return "bool"
	}
	return strings.ToLower(strings.TrimPrefix(t.String(), "ONNX_TENSOR_ELEMENT_DATA_TYPE_"))
}

// net is a handle on a shared session.
type net struct {
	r      *Runtime
	key    sessionKey
	s      *session
	closed bool
	out    []float32 // the output buffer, reused from tile to tile
}

func (n *net) Device() inference.DeviceInfo { return n.s.dev }

func (n *net) Close() {
	n.r.mu.Lock()
	defer n.r.mu.Unlock()
	if !n.closed {
		n.closed = true
		n.s.refs--
		n.s.lastUsed = time.Now()
	}
}

func (n *net) Run(ctx context.Context, in inference.Tensor, outShape []int, use func(out inference.Tensor) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t, err := ortgo.NewTensor(shape64(in.Shape), in.Data)
	if err != nil {
		return fmt.Errorf("input tensor: %w", err)
	}
	defer t.Destroy()
	size := 1
	for _, d := range outShape {
		size *= d
	}
	if cap(n.out) < size {
		n.out = nil // let the old buffer go before the larger one is made
		n.out = make([]float32, size)
	}
	buf := n.out[:size]
	o, err := ortgo.NewTensor(shape64(outShape), buf)
	if err != nil {
		return fmt.Errorf("output tensor: %w", err)
	}
	defer o.Destroy()
	ro, err := ortgo.NewRunOptions()
	if err != nil {
		return err
	}
	defer ro.Destroy()
	done := make(chan struct{})
	watch := make(chan struct{})
	go func() {
		defer close(watch)
		select {
		case <-ctx.Done():
			_ = ro.Terminate()
		case <-done:
		}
	}()
	err = n.s.s.RunWithOptions([]ortgo.Value{t}, []ortgo.Value{o}, ro)
	close(done)
	<-watch
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("running the network: %w", err)
	}
	return use(inference.Tensor{Shape: outShape, Data: buf})
}

func shape64(s []int) ortgo.Shape {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return ortgo.NewShape(out...)
}

// Validate says whether ONNX Runtime accepts a network file.
func (r *Runtime) Validate(path string) error {
	_, err := r.Inspect(path)
	return err
}
