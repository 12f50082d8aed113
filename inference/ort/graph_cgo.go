//go:build cgo

package ort

import (
	"context"
	"fmt"
	"strings"

	ortgo "github.com/yalue/onnxruntime_go"

	"delineate/inference"
)

// graph is a multi-tensor session. Graph sessions are not shared: a
// detector or a prompt decoder is opened once by its runner and kept.
type graph struct {
	s    *ortgo.DynamicAdvancedSession
	dev  inference.DeviceInfo
	meta map[string]string
	in   []string
	out  []string
}

// OpenGraph opens a network with named inputs and outputs. auto tries
// CUDA and falls back to CPU, as Open does.
func (r *Runtime) OpenGraph(spec inference.GraphSpec) (inference.Graph, error) {
	if spec.Device == "" {
		spec.Device = "auto"
	}
	r.mu.Lock()
	dev, err := r.deviceLocked(spec.Device)
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	// ONNX Runtime makes a session with names the graph lacks and fails
	// only when it runs: check them now, so a caller can probe.
	ins, outs, err := ortgo.GetInputOutputInfo(spec.Path)
	if err != nil {
		return nil, &ModelError{Path: spec.Path, Err: err.Error()}
	}
	if err := hasNames("input", spec.Inputs, ins); err != nil {
		return nil, err
	}
	if err := hasNames("output", spec.Outputs, outs); err != nil {
		return nil, err
	}
	ns := inference.NetSpec{Path: spec.Path, Device: spec.Device, Threads: spec.Threads}
	s, err := newGraphSession(ns, spec.Inputs, spec.Outputs, dev.Used)
	if err != nil && dev.Used == "cuda" && spec.Device == "auto" {
		dev = inference.DeviceInfo{Requested: "auto", Used: "cpu", Why: "auto: CUDA session failed (" + short(err) + "); running on CPU"}
		s, err = newGraphSession(ns, spec.Inputs, spec.Outputs, "cpu")
	}
	if err != nil {
		return nil, err
	}
	g := &graph{s: s, dev: dev, meta: map[string]string{}, in: spec.Inputs, out: spec.Outputs}
	if md, err := s.GetModelMetadata(); err == nil {
		if keys, err := md.GetCustomMetadataMapKeys(); err == nil {
			for _, k := range keys {
				if v, ok, err := md.LookupCustomMetadataMap(k); err == nil && ok {
					g.meta[k] = v
				}
			}
		}
		md.Destroy()
	}
	return g, nil
}

func newGraphSession(spec inference.NetSpec, inputs, outputs []string, device string) (*ortgo.DynamicAdvancedSession, error) {
	opts, err := sessionOptions(spec.Threads, device)
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	s, err := ortgo.NewDynamicAdvancedSession(spec.Path, inputs, outputs, opts)
	if err != nil {
		return nil, &ModelError{Path: spec.Path, Err: strings.TrimPrefix(err.Error(), "Error creating C session: ")}
	}
	return s, nil
}

func (g *graph) Metadata() map[string]string  { return g.meta }
func (g *graph) Device() inference.DeviceInfo { return g.dev }

func (g *graph) Close() {
	if g.s != nil {
		g.s.Destroy()
		g.s = nil
	}
}

func (g *graph) Run(ctx context.Context, in map[string]inference.Value, outputs []string) (map[string]inference.Value, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if g.s == nil {
		return nil, fmt.Errorf("the network was closed")
	}
	inputs := make([]ortgo.Value, len(g.in))
	defer func() {
		for _, v := range inputs {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	for i, name := range g.in {
		v, ok := in[name]
		if !ok {
			return nil, fmt.Errorf("input %q not given", name)
		}
		if err := v.Check(name); err != nil {
			return nil, err
		}
		shape := ortgo.NewShape(v.Shape...)
		var err error
		if v.F32 != nil {
			inputs[i], err = ortgo.NewTensor(shape, v.F32)
		} else {
			inputs[i], err = ortgo.NewTensor(shape, v.I64)
		}
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", name, err)
		}
	}
	outs := make([]ortgo.Value, len(g.out)) // nil: ONNX Runtime allocates them
	ro, err := ortgo.NewRunOptions()
	if err != nil {
		return nil, err
	}
	defer ro.Destroy()
	done, watch := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watch)
		select {
		case <-ctx.Done():
			_ = ro.Terminate()
		case <-done:
		}
	}()
	err = g.s.RunWithOptions(inputs, outs, ro)
	close(done)
	<-watch
	defer func() {
		for _, v := range outs {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("running the network: %w", err)
	}
	res := map[string]inference.Value{}
	for i, name := range g.out {
		switch t := outs[i].(type) {
		case *ortgo.Tensor[float32]:
			res[name] = inference.Value{Shape: []int64(t.GetShape()), F32: append([]float32(nil), t.GetData()...)}
		case *ortgo.Tensor[int64]:
			res[name] = inference.Value{Shape: []int64(t.GetShape()), I64: append([]int64(nil), t.GetData()...)}
		default:
			return nil, fmt.Errorf("output %q is %T; Delineate reads float32 and int64 outputs", name, outs[i])
		}
	}
	want := map[string]bool{}
	for _, o := range outputs {
		want[o] = true
		if _, ok := res[o]; !ok {
			return nil, fmt.Errorf("output %q is not one the network was opened with", o)
		}
	}
	for k := range res {
		if len(outputs) > 0 && !want[k] {
			delete(res, k)
		}
	}
	return res, nil
}

func hasNames(kind string, want []string, have []ortgo.InputOutputInfo) error {
	var names []string
	for _, h := range have {
		names = append(names, h.Name)
	}
	for _, w := range want {
		found := false
		for _, n := range names {
			if n == w {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("the network has no %s %q (it has %s)", kind, w, strings.Join(names, ", "))
		}
	}
	return nil
}
