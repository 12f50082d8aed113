package labelstudio

import "encoding/json"

// Task is a Label Studio task as imported and exported: the image, the
// mapping back to voxels, and its predictions and annotations.
type Task struct {
	ID          int          `json:"id,omitempty"`
	Data        TaskData     `json:"data"`
	Meta        *Meta        `json:"meta,omitempty"`
	Predictions []Prediction `json:"predictions,omitempty"`
	Annotations []Annotation `json:"annotations,omitempty"`
	// Server-side counts (read when listing a project's tasks).
	TotalAnnotations     int    `json:"total_annotations,omitempty"`
	CancelledAnnotations int    `json:"cancelled_annotations,omitempty"`
	TotalPredictions     int    `json:"total_predictions,omitempty"`
	FileUpload           string `json:"file_upload,omitempty"`
	StorageFilename      string `json:"storage_filename,omitempty"`
}

// TaskData is the task's data. Delineate keeps a copy of the meta in it:
// data always survives Label Studio's import and export, and it lets the
// way back work from an export that dropped the task meta.
type TaskData struct {
	Image     string `json:"image"`
	Delineate *Meta  `json:"delineate,omitempty"`
}

// Prediction is a model's result on a task.
type Prediction struct {
	ID           int      `json:"id,omitempty"`
	Task         int      `json:"task,omitempty"`
	ModelVersion string   `json:"model_version"`
	Score        float64  `json:"score"`
	Result       []Result `json:"result"`
}

// Annotation is a person's result on a task.
type Annotation struct {
	ID           int             `json:"id,omitempty"`
	CompletedBy  json.RawMessage `json:"completed_by,omitempty"` // an id, or a user object in some exports
	WasCancelled bool            `json:"was_cancelled,omitempty"`
	CreatedAt    string          `json:"created_at,omitempty"`
	UpdatedAt    string          `json:"updated_at,omitempty"`
	Result       []Result        `json:"result"`
}

// Result is one region: for brushes, one label's mask on one image.
type Result struct {
	ID             string      `json:"id,omitempty"`
	FromName       string      `json:"from_name"`
	ToName         string      `json:"to_name"`
	Type           string      `json:"type"`
	OriginalWidth  int         `json:"original_width,omitempty"`
	OriginalHeight int         `json:"original_height,omitempty"`
	ImageRotation  int         `json:"image_rotation"`
	Value          ResultValue `json:"value"`
}

// ResultValue holds a brush mask. RLE is a list of integers 0..255 in the
// JSON (the SDK's schema), not a base64 string.
type ResultValue struct {
	Format      string   `json:"format,omitempty"`
	RLE         ByteList `json:"rle,omitempty"`
	BrushLabels []string `json:"brushlabels,omitempty"`
}

// ByteList marshals as a JSON array of numbers (encoding/json would write
// a []byte as base64, which the frontend draws as an empty mask).
type ByteList []byte

// MarshalJSON writes the bytes as numbers.
func (b ByteList) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, 2+4*len(b))
	out = append(out, '[')
	for i, v := range b {
		if i > 0 {
			out = append(out, ',')
		}
		switch {
		case v >= 100:
			out = append(out, '0'+v/100, '0'+v/10%10, '0'+v%10)
		case v >= 10:
			out = append(out, '0'+v/10, '0'+v%10)
		default:
			out = append(out, '0'+v)
		}
	}
	return append(out, ']'), nil
}

// UnmarshalJSON reads a list of numbers 0..255; anything else (a base64
// PNG string, as a popular tutorial writes) is a FormatError.
func (b *ByteList) UnmarshalJSON(data []byte) error {
	var ints []int
	if err := json.Unmarshal(data, &ints); err != nil {
		return FormatError("rle is not a list of integers 0..255 (a base64 PNG is not an RLE)")
	}
	out := make([]byte, len(ints))
	for i, v := range ints {
		if v < 0 || v > 255 {
			return FormatError("rle value out of 0..255")
		}
		out[i] = byte(v)
	}
	*b = out
	return nil
}

// Meta says which slice a task shows and which voxel each pixel is:
// pixel (x, y) is voxel idx with idx[NormalAxis] = Slice,
// idx[ColAxis] = x (or Width−1−x when ColFlip), idx[RowAxis] = y (or
// Height−1−y when RowFlip), on a grid of Dims. Labels maps the brush label
// names back to label-map ids.
type Meta struct {
	Format     int            `json:"delineate_meta"`
	Case       string         `json:"case"`
	Plane      string         `json:"plane"`
	Slice      int            `json:"slice"`
	Slices     int            `json:"slices"`
	Width      int            `json:"width"`
	Height     int            `json:"height"`
	Dims       [3]int         `json:"dims"`
	ColAxis    int            `json:"col_axis"`
	ColFlip    bool           `json:"col_flip"`
	RowAxis    int            `json:"row_axis"`
	RowFlip    bool           `json:"row_flip"`
	NormalAxis int            `json:"normal_axis"`
	PixelMM    [2]float64     `json:"pixel_mm"` // column, row spacing
	Window     WindowMeta     `json:"window"`
	Labels     map[string]int `json:"labels"`
}

// WindowMeta is the window the PNG was rendered with.
type WindowMeta struct {
	Name   string  `json:"name,omitempty"`
	Center float64 `json:"center"`
	Width  float64 `json:"width"`
}

// Voxel is the voxel index of pixel (x, y).
func (m *Meta) Voxel(x, y int) [3]int {
	var idx [3]int
	idx[m.NormalAxis] = m.Slice
	if m.ColFlip {
		x = m.Width - 1 - x
	}
	if m.RowFlip {
		y = m.Height - 1 - y
	}
	idx[m.ColAxis], idx[m.RowAxis] = x, y
	return idx
}

// Bounds on what a task may claim, so that a corrupt or hostile export
// cannot make Pull allocate without limit: 32768 voxels a side, 8192²
// pixels a slice.
const (
	maxDim         = 1 << 15
	maxSlicePixels = 1 << 26
)

// valid checks that the mapping stays inside its grid.
func (m *Meta) valid() bool {
	a := [3]bool{}
	for _, ax := range []int{m.ColAxis, m.RowAxis, m.NormalAxis} {
		if ax < 0 || ax > 2 || a[ax] {
			return false
		}
		a[ax] = true
	}
	for _, d := range m.Dims {
		if d <= 0 || d > maxDim {
			return false
		}
	}
	return m.Width == m.Dims[m.ColAxis] && m.Height == m.Dims[m.RowAxis] && m.Width*m.Height <= maxSlicePixels &&
		m.Slice >= 0 && m.Slice < m.Dims[m.NormalAxis]
}
