package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"delineate/inference/ort"
	"delineate/inference/yolo"
	"delineate/project"
	"delineate/project/labelstudio"
	"delineate/viewer"
	"delineate/viewer/nifti"
)

// runDetect: `detect --model DIR|FILE.onnx IMAGE --out DETS.json …` — a
// YOLO-family detector over a slice range, with the detections mapped to
// voxels and millimetres, grouped into 3D findings.
func runDetect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	modelPath := fs.String("model", "", "YOLO export: an .onnx file, or a folder holding model.onnx")
	prompt := fs.String("prompt", "", "comma-separated phrases: a baked vocabulary's classes to keep, or an open-vocabulary model's classes")
	textEnc := fs.String("text-encoder", "", "open vocabulary: the CLIP-style text encoder export (.onnx, or a folder holding model.onnx)")
	vocab := fs.String("vocab", "", "open vocabulary: the text encoder's BPE vocabulary (bpe_simple_vocab_16e6.txt.gz)")
	slicesS := fs.String("slices", "all", "all or A:B (0-based, inclusive)")
	planeS := fs.String("plane", "axial", "axial, coronal or sagittal")
	conf := fs.Float64("conf", 0.25, "confidence threshold")
	iou := fs.Float64("iou", 0.7, "class-wise NMS IoU threshold")
	windowS := fs.String("window", "", "C,W or a preset, or three presets for three channels (lung,soft,bone); default: the image's")
	out := fs.String("out", "", "detections JSON")
	csvPath := fs.String("csv", "", "also write the detections as CSV")
	masks := fs.String("masks", "", "also write the masks as a label map (class id + 1) on the image's grid")
	device := fs.String("device", "auto", "auto, cpu or cuda")
	threads := fs.Int("threads", 0, "intra-op threads (0 = all cores)")
	lib := fs.String("ort-lib", "", "ONNX Runtime library")
	force := fs.Bool("force", false, "overwrite existing outputs")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *modelPath == "" || *out == "" {
		return usageErrorf("detect takes --model, IMAGE and --out")
	}
	for _, p := range []string{*out, *csvPath, *masks} {
		if p != "" && !*force {
			if _, err := os.Stat(p); err == nil {
				return fmt.Errorf("%s exists; pass --force to overwrite it", p)
			}
		}
	}
	plane, err := viewer.ParsePlane(*planeS)
	if err != nil {
		return usageErrorf("%v", err)
	}
	desc := &yolo.Description{Model: filepath.Base(*modelPath), Dir: filepath.Dir(*modelPath), Name: filepath.Base(*modelPath)}
	if st, err := os.Stat(*modelPath); err == nil && st.IsDir() {
		if desc, err = yolo.LoadDescription(*modelPath); err != nil {
			return err
		}
	}
	file := desc.Path(desc.Model)
	if *windowS == "" && len(desc.Windows) > 0 {
		*windowS = strings.Join(desc.Windows, ",")
	}
	if *textEnc == "" {
		*textEnc = desc.Path(desc.TextEncoder)
	}
	if *vocab == "" {
		*vocab = desc.Path(desc.Vocab)
	}
	setIfUnset(fs, "conf", conf, desc.Conf)
	setIfUnset(fs, "iou", iou, desc.IoU)
	vol, err := project.LoadImage(ctx, pos[0])
	if err != nil {
		return err
	}
	wins, err := parseWindows(*windowS, vol)
	if err != nil {
		return usageErrorf("--window: %v", err)
	}
	var each [][]viewer.Window
	if *windowS == "" || *windowS == strings.Join(desc.Windows, ",") {
		if _, each, err = desc.Renderings(vol); err != nil {
			return err
		}
	}
	rt, err := ort.Load(*lib)
	if err != nil {
		return err
	}
	m, err := yolo.Open(rt, file, desc.Names, *device, *threads)
	if err != nil {
		return err
	}
	defer m.Close()
	o := yolo.Options{Windows: wins, Each: each, Conf: float32(*conf), IoU: *iou}
	switch {
	case m.TextFeats:
		if *prompt == "" || *textEnc == "" || *vocab == "" {
			return usageErrorf("this export takes text prompts (txt_feats): give --prompt, --text-encoder and --vocab")
		}
		encFile := *textEnc
		if st, err := os.Stat(encFile); err == nil && st.IsDir() {
			encFile = filepath.Join(encFile, "model.onnx")
		}
		enc, err := yolo.OpenTextEncoder(rt, encFile, *vocab, "", "", *device, *threads)
		if err != nil {
			return err
		}
		defer enc.Close()
		var phrases []string
		for _, p := range strings.Split(*prompt, ",") {
			if p = strings.TrimSpace(p); p != "" {
				phrases = append(phrases, p)
			}
		}
		if err := m.SetPrompts(ctx, enc, phrases); err != nil {
			return err
		}
	case *prompt != "":
		if o.Classes, err = yolo.SelectClasses(m.Names, desc.Synonyms, *prompt); err != nil {
			return err
		}
	}
	l, err := viewer.NewSliceLayout(vol.Geometry, plane)
	if err != nil {
		return err
	}
	from, to := 0, l.Slices-1
	if *slicesS != "all" {
		s, err := labelstudio.ParseSlices(*slicesS)
		if err != nil || !s.Range || s.To >= l.Slices {
			return usageErrorf("--slices %q: want all or A:B within 0..%d", *slicesS, l.Slices-1)
		}
		from, to = s.From, s.To
	}
	var results []yolo.SliceResult
	for k := from; k <= to; k++ {
		r, err := m.DetectSlice(ctx, vol, plane, k, o)
		if err != nil {
			return fmt.Errorf("slice %d: %w", k, err)
		}
		results = append(results, r)
		fmt.Fprintf(stderr, "\r%d/%d slices", k-from+1, to-from+1)
	}
	fmt.Fprintln(stderr)
	rep := detectReport(desc.Name, vol, m, plane, results, o)
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := project.WriteFileAtomic(*out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	if *csvPath != "" {
		if err := writeDetectionsCSV(*csvPath, rep); err != nil {
			return err
		}
	}
	if *masks != "" {
		lm, err := viewer.NewLabelMap(vol.Geometry, len(m.Names)+1)
		if err != nil {
			return err
		}
		counts := map[int]int{}
		for _, r := range results {
			yolo.Paint(lm, r, counts)
		}
		if err := nifti.Write(*masks, lm.Volume, nifti.WriteOptions{Overwrite: *force, Description: "delineate detect " + desc.Name}); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%d detections on %d slices, %d findings (%s)\n", len(rep.Detections), len(results), len(rep.Findings), *out)
	for _, s := range rep.Summary {
		fmt.Fprintf(stdout, "  %-24s %4d detections, mean score %.2f\n", s.Label, s.Count, s.MeanScore)
	}
	return nil
}

// setIfUnset gives a flag the description's value when the command line
// did not set it.
func setIfUnset(fs *flag.FlagSet, name string, v *float64, desc float64) {
	if desc == 0 {
		return
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	if !set {
		*v = desc
	}
}

// parseWindows reads "C,W", a preset, or several presets (one a channel).
func parseWindows(s string, vol *viewer.Volume) ([]viewer.Window, error) {
	if s == "" {
		return nil, nil
	}
	if strings.IndexFunc(s, unicode.IsLetter) < 0 { // C,W
		w, err := viewer.ParseWindow(s, vol)
		return []viewer.Window{w}, err
	}
	var out []viewer.Window
	for _, p := range strings.Split(s, ",") {
		w, err := viewer.ParseWindow(strings.TrimSpace(p), vol)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	if len(out) != 1 && len(out) != 3 {
		return nil, fmt.Errorf("%d windows: give one (repeated into three channels) or three", len(out))
	}
	return out, nil
}

type detectionOut struct {
	Slice      int           `json:"slice"`
	Label      string        `json:"label"`
	Class      int           `json:"class"`
	Score      float32       `json:"score"`
	BoxPixels  [4]float64    `json:"box_slice_px"`
	Voxels     yolo.VoxelBox `json:"box"`
	MaskVoxels int           `json:"mask_voxels"`
	SizeMM     [3]float64    `json:"size_mm"`
}

type labelSummary struct {
	Label     string  `json:"label"`
	Count     int     `json:"count"`
	MeanScore float64 `json:"mean_score"`
	Findings  int     `json:"findings"`
}

type detectOut struct {
	Model      string         `json:"model"`
	Plane      string         `json:"plane"`
	Slices     [2]int         `json:"slices"`
	Conf       float32        `json:"conf"`
	IoU        float64        `json:"iou"`
	Device     string         `json:"device"`
	Detections []detectionOut `json:"detections"`
	Summary    []labelSummary `json:"summary"`
	Findings   []yolo.Finding `json:"findings"`
}

func detectReport(model string, vol *viewer.Volume, m *yolo.Model, plane viewer.Plane, results []yolo.SliceResult, o yolo.Options) *detectOut {
	rep := &detectOut{Model: model, Plane: plane.String(), Conf: o.Conf, IoU: o.IoU,
		Device: m.Graph.Device().String(), Detections: []detectionOut{}, Summary: []labelSummary{}}
	if len(results) > 0 {
		rep.Slices = [2]int{results[0].K, results[len(results)-1].K}
	}
	byLabel := map[string]*labelSummary{}
	var order []string
	for _, r := range results {
		for _, d := range r.Dets {
			vb := yolo.ToVoxels(vol.Geometry, r.Layout, r.K, d.Box)
			name := m.Names[d.Class]
			rep.Detections = append(rep.Detections, detectionOut{Slice: r.K, Label: name, Class: d.Class, Score: d.Score, BoxPixels: d.Box,
				Voxels: vb, MaskVoxels: d.MaskPixels,
				SizeMM: [3]float64{vb.MaxMM[0] - vb.MinMM[0], vb.MaxMM[1] - vb.MinMM[1], vb.MaxMM[2] - vb.MinMM[2]}})
			s := byLabel[name]
			if s == nil {
				s = &labelSummary{Label: name}
				byLabel[name] = s
				order = append(order, name)
			}
			s.MeanScore = (s.MeanScore*float64(s.Count) + float64(d.Score)) / float64(s.Count+1)
			s.Count++
		}
	}
	rep.Findings = yolo.Group(vol.Geometry, results, m.Names, 0.3)
	for _, f := range rep.Findings {
		if s := byLabel[f.Label]; s != nil {
			s.Findings++
		}
	}
	for _, n := range order {
		rep.Summary = append(rep.Summary, *byLabel[n])
	}
	return rep
}

func writeDetectionsCSV(path string, rep *detectOut) error {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{"slice", "label", "score", "i0", "j0", "k0", "i1", "j1", "k1", "x0_mm", "y0_mm", "z0_mm", "x1_mm", "y1_mm", "z1_mm", "mask_voxels"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	for _, d := range rep.Detections {
		v := d.Voxels
		w.Write([]string{strconv.Itoa(d.Slice), d.Label, strconv.FormatFloat(float64(d.Score), 'f', 4, 32),
			strconv.Itoa(v.Min[0]), strconv.Itoa(v.Min[1]), strconv.Itoa(v.Min[2]), strconv.Itoa(v.Max[0]), strconv.Itoa(v.Max[1]), strconv.Itoa(v.Max[2]),
			f(v.MinMM[0]), f(v.MinMM[1]), f(v.MinMM[2]), f(v.MaxMM[0]), f(v.MaxMM[1]), f(v.MaxMM[2]), strconv.Itoa(d.MaskVoxels)})
	}
	w.Flush()
	return project.WriteFileAtomic(path, []byte(b.String()), 0o644)
}
