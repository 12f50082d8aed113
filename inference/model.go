package inference

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"delineate/viewer"
)

// DescriptionFile is the name of a model folder's description.
const DescriptionFile = "model.json"

// Model is a model folder's description (model.json, documented in
// docs/models.md) with its paths resolved. Descriptions are data: what a
// network expects (grid, tensor layout, intensity, tiling) and what it
// labels; code exists per family only where decoding differs.
type Model struct {
	Name        string       `json:"name"`
	Title       string       `json:"title,omitempty"`
	Version     string       `json:"version"`
	Family      string       `json:"family"` // segmentation
	Modality    string       `json:"modality,omitempty"`
	Licence     string       `json:"licence,omitempty"`
	Source      string       `json:"source,omitempty"`
	Description string       `json:"description,omitempty"`
	Files       []File       `json:"files"`
	Input       InputSpec    `json:"input"`
	Output      OutputSpec   `json:"output"`
	Preprocess  Preprocess   `json:"preprocess"`
	Tiling      Tiling       `json:"tiling"`
	FirstStage  *FirstStage  `json:"first_stage,omitempty"`
	Labels      []ModelLabel `json:"labels,omitempty"`
	LabelsFile  string       `json:"labels_file,omitempty"`
	Memory      *MemorySpec  `json:"memory,omitempty"`

	// Dir is the folder the description was read from; file paths are
	// relative to it.
	Dir string `json:"-"`
	// Builtin names a built-in segmenter (no network file); see
	// BuiltinModel.
	Builtin string `json:"-"`
}

// File is one file of the model with its expected SHA-256.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Role   string `json:"role,omitempty"` // "network" (default for the first .onnx)
}

// InputSpec names the network input and its layout.
type InputSpec struct {
	Name     string `json:"name"`
	Channels int    `json:"channels,omitempty"` // default 1
	// Axes says which volume axis (of the conformed grid) each spatial
	// tensor axis is, slowest first: "kji" is the NIfTI/SimpleITK order
	// (i varies fastest, as on disk); "ijk" is its transpose (k fastest),
	// which the MeshNet models need.
	Axes string `json:"axes"`
}

// OutputSpec names the network output.
type OutputSpec struct {
	Name       string `json:"name"`
	Classes    int    `json:"classes"`
	Activation string `json:"activation,omitempty"` // logits (default), softmax, sigmoid
}

// Preprocess is what is done to the image before the network sees it.
type Preprocess struct {
	Conform   *Conform  `json:"conform,omitempty"`
	Intensity Intensity `json:"intensity"`
}

// Conform resamples the image to the network's grid: an orientation
// (three letters, the direction each voxel axis increases towards, as
// "LIA" for FreeSurfer or "RAS"), a voxel spacing in mm and optionally
// fixed dimensions (the grid is then centred on the image).
type Conform struct {
	Orientation string    `json:"orientation,omitempty"`
	Spacing     []float64 `json:"spacing,omitempty"`
	Dims        []int     `json:"dims,omitempty"`
	Interp      string    `json:"interpolation,omitempty"` // linear (default) or nearest
}

// Intensity is the intensity normalisation.
type Intensity struct {
	// Method: none, minmax, quantile (Low/High fractions → 0..1, clipped),
	// window (Center/Width in HU → 0..1, clipped), zscore (Mean/Std; per
	// image when both are zero), ct (nnU-Net CT: clip to Low..High values,
	// then (x − Mean)/Std).
	Method string  `json:"method"`
	Low    float64 `json:"low,omitempty"`
	High   float64 `json:"high,omitempty"`
	Center float64 `json:"center,omitempty"`
	Width  float64 `json:"width,omitempty"`
	Mean   float64 `json:"mean,omitempty"`
	Std    float64 `json:"std,omitempty"`
}

// Tiling says how the volume is split for the network.
type Tiling struct {
	// Mode: whole (one pass; the network must see the whole volume, as
	// when it normalises over it), overlap (fully convolutional: tiles
	// overlap by Margin voxels, at least the receptive-field radius, and
	// only their centres are kept, so the result equals one whole pass),
	// sliding (nnU-Net: Patch-sized tiles at Step, blended with a
	// Gaussian importance map).
	Mode       string  `json:"mode"`
	Patch      []int   `json:"patch,omitempty"` // tensor order (D, H, W)
	Margin     int     `json:"margin,omitempty"`
	Step       float64 `json:"step,omitempty"`        // fraction of the patch; default 0.5
	Gaussian   *bool   `json:"gaussian,omitempty"`    // default true
	MirrorAxes []int   `json:"mirror_axes,omitempty"` // tensor spatial axes (0 = D) to mirror; test-time augmentation
}

// FirstStage runs another model first and crops to its labels.
type FirstStage struct {
	Model  string `json:"model"`            // folder, relative to this model's folder
	Labels []int  `json:"labels,omitempty"` // its labels that form the region; default all non-zero
	Margin int    `json:"margin,omitempty"` // voxels added around the bounding box
}

// ModelLabel is one class of the model.
type ModelLabel struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Colour []int  `json:"colour,omitempty"` // r, g, b
}

// MemorySpec overrides the tiler's estimate of the network's working
// memory per voxel of a tile.
type MemorySpec struct {
	BytesPerVoxel int `json:"bytes_per_voxel"`
}

// DescriptionError is a model.json that is missing, unreadable or wrong.
type DescriptionError struct {
	Path string
	Msg  string
}

func (e *DescriptionError) Error() string { return e.Path + ": " + e.Msg }

// LoadModel reads DIR/model.json, resolves its paths and validates it
// (everything that can be checked without running the network: see
// Check for the comparison with the ONNX file itself).
func LoadModel(dir string) (*Model, error) {
	path := filepath.Join(dir, DescriptionFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &DescriptionError{path, "no model description (a model folder holds model.json)"}
		}
		return nil, &DescriptionError{path, err.Error()}
	}
	return parseDescription(b, dir, path)
}

// parseDescription decodes and validates a description read from path in
// folder dir.
func parseDescription(b []byte, dir, path string) (*Model, error) {
	var m Model
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, &DescriptionError{path, "invalid JSON: " + err.Error()}
	}
	m.Dir, _ = filepath.Abs(dir)
	if err := m.resolveLabels(); err != nil {
		return nil, &DescriptionError{path, err.Error()}
	}
	if err := m.Validate(); err != nil {
		return nil, &DescriptionError{path, err.Error()}
	}
	return &m, nil
}

// Network is the path of the ONNX file the network runs from.
func (m *Model) Network() (File, string) {
	for _, f := range m.Files {
		if f.Role == "network" {
			return f, m.Resolve(f.Path)
		}
	}
	for _, f := range m.Files {
		if strings.HasSuffix(strings.ToLower(f.Path), ".onnx") {
			return f, m.Resolve(f.Path)
		}
	}
	return File{}, ""
}

// Resolve makes a description path absolute.
func (m *Model) Resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(m.Dir, filepath.FromSlash(p))
}

// Validate checks the description on its own.
func (m *Model) Validate() error {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if m.Name == "" {
		bad("name is empty")
	}
	if m.Version == "" {
		bad("version is empty")
	}
	if m.Family != "segmentation" {
		bad("family %q is not supported (this version runs \"segmentation\")", m.Family)
	}
	if len(m.Files) == 0 {
		bad("files is empty: name the .onnx file with its sha256")
	}
	for _, f := range m.Files {
		if f.Path == "" {
			bad("a file has no path")
		}
		if len(f.SHA256) != 64 || strings.Trim(strings.ToLower(f.SHA256), "0123456789abcdef") != "" {
			bad("file %s: sha256 must be 64 hex digits", f.Path)
		}
	}
	if _, p := m.Network(); p == "" && len(m.Files) > 0 {
		bad("no .onnx network among files")
	}
	if m.Input.Name == "" {
		bad("input.name is empty")
	}
	if m.Input.Channels == 0 {
		m.Input.Channels = 1
	}
	if m.Input.Channels != 1 {
		bad("input.channels %d: only single-channel images are supported", m.Input.Channels)
	}
	if _, err := ParseAxes(m.Input.Axes); err != nil {
		bad("input.axes: %v", err)
	}
	if m.Output.Name == "" {
		bad("output.name is empty")
	}
	if m.Output.Classes < 2 {
		bad("output.classes must be at least 2 (background and one label)")
	}
	switch m.Output.Activation {
	case "", "logits", "softmax", "sigmoid":
	default:
		bad("output.activation %q (want logits, softmax or sigmoid)", m.Output.Activation)
	}
	if c := m.Preprocess.Conform; c != nil {
		if c.Orientation != "" {
			if _, err := viewer.OrientationDirection(c.Orientation); err != nil {
				bad("preprocess.conform.orientation: %v", err)
			}
		}
		if c.Spacing != nil && (len(c.Spacing) != 3 || c.Spacing[0] <= 0 || c.Spacing[1] <= 0 || c.Spacing[2] <= 0) {
			bad("preprocess.conform.spacing must be three positive numbers (mm)")
		}
		if c.Dims != nil && (len(c.Dims) != 3 || c.Dims[0] <= 0 || c.Dims[1] <= 0 || c.Dims[2] <= 0) {
			bad("preprocess.conform.dims must be three positive integers")
		}
		if c.Interp != "" && c.Interp != "linear" && c.Interp != "nearest" {
			bad("preprocess.conform.interpolation %q (want linear or nearest)", c.Interp)
		}
	}
	if err := m.Preprocess.Intensity.validate(); err != nil {
		bad("preprocess.intensity: %v", err)
	}
	t := &m.Tiling
	switch t.Mode {
	case "whole":
	case "overlap":
		if t.Margin <= 0 {
			bad("tiling.margin must be positive for overlap tiling (at least the receptive-field radius; `delineate models check` computes it)")
		}
	case "sliding":
		if len(t.Patch) != 3 || t.Patch[0] <= 0 || t.Patch[1] <= 0 || t.Patch[2] <= 0 {
			bad("tiling.patch must be three positive sizes for sliding-window tiling")
		}
		if t.Step == 0 {
			t.Step = 0.5
		}
		if t.Step <= 0 || t.Step > 1 {
			bad("tiling.step %g must be in (0, 1]", t.Step)
		}
	default:
		bad("tiling.mode %q (want whole, overlap or sliding)", t.Mode)
	}
	for _, a := range t.MirrorAxes {
		if a < 0 || a > 2 {
			bad("tiling.mirror_axes: %d is not a spatial axis (0, 1, 2)", a)
		}
	}
	if t.Patch != nil && len(t.Patch) != 3 {
		bad("tiling.patch must have three sizes")
	}
	if fs := m.FirstStage; fs != nil {
		if fs.Model == "" {
			bad("first_stage.model is empty")
		}
		if fs.Margin < 0 {
			bad("first_stage.margin is negative")
		}
	}
	seen := map[int]bool{}
	for _, l := range m.Labels {
		if l.ID <= 0 || l.ID >= max(m.Output.Classes, 1) {
			bad("label %d (%s) outside 1..%d", l.ID, l.Name, m.Output.Classes-1)
		}
		if seen[l.ID] {
			bad("label %d listed twice", l.ID)
		}
		seen[l.ID] = true
		if l.Colour != nil && len(l.Colour) != 3 {
			bad("label %d: colour must be [r, g, b]", l.ID)
		}
	}
	if m.Memory != nil && m.Memory.BytesPerVoxel <= 0 {
		bad("memory.bytes_per_voxel must be positive")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func (in Intensity) validate() error {
	switch in.Method {
	case "none", "minmax":
	case "quantile":
		if !(in.Low >= 0 && in.Low < in.High && in.High <= 1) {
			return fmt.Errorf("quantile needs 0 ≤ low < high ≤ 1 (fractions), got %g, %g", in.Low, in.High)
		}
	case "window":
		if !(in.Width > 0) {
			return errors.New("window needs a positive width")
		}
	case "zscore":
		if in.Std < 0 || (in.Std == 0 && in.Mean != 0) {
			return errors.New("zscore needs a positive std (or neither mean nor std, for per-image statistics)")
		}
	case "ct":
		if !(in.Low < in.High) || !(in.Std > 0) {
			return errors.New("ct needs low < high (the clip values) and a positive std")
		}
	case "":
		return errors.New("method is empty (none, minmax, quantile, window, zscore or ct)")
	default:
		return fmt.Errorf("unknown method %q (none, minmax, quantile, window, zscore or ct)", in.Method)
	}
	return nil
}

// resolveLabels reads labels_file (a brainchop colormap.json: labels, R,
// G, B arrays indexed by class id) when the description has no labels.
func (m *Model) resolveLabels() error {
	if m.LabelsFile == "" || len(m.Labels) > 0 {
		return nil
	}
	b, err := os.ReadFile(m.Resolve(m.LabelsFile))
	if err != nil {
		return fmt.Errorf("labels_file: %v", err)
	}
	var cm struct {
		Labels  []string `json:"labels"`
		R, G, B []int
	}
	if err := json.Unmarshal(b, &cm); err != nil {
		return fmt.Errorf("labels_file %s: %v", m.LabelsFile, err)
	}
	for id := 1; id < len(cm.Labels); id++ {
		l := ModelLabel{ID: id, Name: cm.Labels[id]}
		if id < len(cm.R) && id < len(cm.G) && id < len(cm.B) {
			l.Colour = []int{cm.R[id], cm.G[id], cm.B[id]}
		}
		m.Labels = append(m.Labels, l)
	}
	return nil
}

// Table is the model's label table (names and colours by class id).
func (m *Model) Table() viewer.LabelTable {
	var t viewer.LabelTable
	def := viewer.DefaultLabelColours()
	for _, l := range m.Labels {
		c := def.Colour(l.ID)
		if len(l.Colour) == 3 {
			c = color.RGBA{uint8(l.Colour[0]), uint8(l.Colour[1]), uint8(l.Colour[2]), 255}
		}
		_ = t.Set(viewer.Label{ID: l.ID, Name: l.Name, Colour: c, Visible: true})
	}
	return t
}

// hashCache keeps file hashes by path, size and modification time, so a
// large network is hashed once per process, not at every run.
var hashCache sync.Map

type hashKey struct {
	path  string
	size  int64
	mtime int64
}

// FileSHA256 hashes a file (cached while the file is unchanged).
func FileSHA256(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	k := hashKey{path, st.Size(), st.ModTime().UnixNano()}
	if v, ok := hashCache.Load(k); ok {
		return v.(string), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	s := hex.EncodeToString(h.Sum(nil))
	hashCache.Store(k, s)
	return s, nil
}

// VerifyFiles checks that every file exists and has its sha256.
func (m *Model) VerifyFiles() error {
	var errs []string
	for _, f := range m.Files {
		p := m.Resolve(f.Path)
		got, err := FileSHA256(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Sprintf("file %s is missing (looked for %s)", f.Path, p))
			} else {
				errs = append(errs, fmt.Sprintf("file %s: %v", f.Path, err))
			}
			continue
		}
		if !strings.EqualFold(got, f.SHA256) {
			errs = append(errs, fmt.Sprintf("file %s: sha256 is %s, the description says %s (the file changed or is not this model's)", f.Path, got, f.SHA256))
		}
	}
	if len(errs) > 0 {
		return &DescriptionError{filepath.Join(m.Dir, DescriptionFile), strings.Join(errs, "; ")}
	}
	return nil
}
