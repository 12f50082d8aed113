package nnunet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"delineate/internal/atomicfile"
	"delineate/project"
	"delineate/viewer"
	"delineate/viewer/nifti"
)

// ExportOptions says what an export writes.
type ExportOptions struct {
	Root      string           // the nnU-Net raw folder the dataset goes into
	ID        int              // 1..999
	Name      string           // no spaces
	Statuses  []project.Status // cases to export (default: done)
	Channel   string           // channel name (default CT for CT images, else the modality or "MR")
	Overwrite bool             // replace an existing dataset folder
	Progress  func(done, total int)
}

// writeNIfTI writes the dataset's files (tests inject a full disk).
var writeNIfTI = nifti.Write

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// Folder is DatasetNNN_Name.
func (o ExportOptions) Folder() string { return fmt.Sprintf("Dataset%03d_%s", o.ID, o.Name) }

// Export writes the project's reviewed cases as an nnU-Net v2 dataset:
// each case's image as <case>_0000.nii.gz and its labels, remapped to
// consecutive ids in the project table's order with background 0, on
// exactly the image's grid. Everything is written into a temporary
// folder beside the final one, verified with Verify, and only then
// renamed into place; an existing dataset is refused unless Overwrite. It
// returns the dataset's path and the verification.
func Export(ctx context.Context, p *project.Project, o ExportOptions) (string, *Report, error) {
	if o.ID < 1 || o.ID > 999 {
		return "", nil, fmt.Errorf("dataset id %d: nnU-Net ids are 1..999", o.ID)
	}
	if !nameRE.MatchString(o.Name) {
		return "", nil, fmt.Errorf("dataset name %q: letters, digits, - and _ only (no spaces)", o.Name)
	}
	if len(o.Statuses) == 0 {
		o.Statuses = []project.Status{project.Done}
	}
	final := filepath.Join(o.Root, o.Folder())
	if _, err := os.Stat(final); err == nil && !o.Overwrite {
		return "", nil, fmt.Errorf("%s exists; not overwriting (use --overwrite)", final)
	}
	var cases []*project.Case
	for _, c := range p.Cases {
		for _, s := range o.Statuses {
			if c.Status == s && c.Labels != "" {
				cases = append(cases, c)
				break
			}
		}
	}
	if len(cases) == 0 {
		return "", nil, fmt.Errorf("no case with labels has status %v: nothing to export", o.Statuses)
	}
	// Project ids → consecutive ids, in the table's order.
	remap := map[int]int{0: 0}
	labels := []LabelEntry{{Name: "background", Values: []int{0}}}
	for i, l := range p.Labels {
		remap[l.ID] = i + 1
		labels = append(labels, LabelEntry{Name: l.Name, Values: []int{i + 1}})
	}
	if err := os.MkdirAll(o.Root, 0o755); err != nil {
		return "", nil, err
	}
	tmp, err := os.MkdirTemp(o.Root, "."+o.Folder()+".tmp-")
	if err != nil {
		return "", nil, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", nil, err
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(tmp)
		}
	}()
	for _, d := range []string{"imagesTr", "labelsTr"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			return "", nil, err
		}
	}
	channel := o.Channel
	var mu sync.Mutex
	done := 0
	errs := make([]error, len(cases))
	modalities := make([]string, len(cases))
	work := make(chan int)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := 0; w < max(1, min(runtime.GOMAXPROCS(0), len(cases))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				modalities[i], errs[i] = exportCase(ctx, p, cases[i], tmp, remap)
				if errs[i] != nil {
					cancel()
				}
				mu.Lock()
				done++
				if o.Progress != nil {
					o.Progress(done, len(cases))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range cases {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", nil, err
	}
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	if channel == "" {
		// nnU-Net normalises a channel named CT differently from any
		// other, so the name is never guessed.
		for _, m := range modalities {
			if m != "" {
				channel = m
				break
			}
		}
		if channel == "" {
			return "", nil, fmt.Errorf("the images do not say their modality: name the channel (CT selects nnU-Net's CT normalisation, anything else z-scores each image)")
		}
	}
	if err := writeDatasetJSON(filepath.Join(tmp, "dataset.json"), p, cases, labels, channel, o); err != nil {
		return "", nil, err
	}
	rep := Verify(tmp)
	if !rep.OK() {
		return "", rep, fmt.Errorf("the written dataset fails nnU-Net's checks; nothing was put in place")
	}
	if _, err := os.Stat(final); err == nil {
		old := final + ".old-" + time.Now().Format("20060102-150405")
		if err := os.Rename(final, old); err != nil {
			return "", nil, err
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", nil, err
	}
	keep = true
	return final, rep, nil
}

// exportCase writes one case's image and remapped labels. A .nii.gz
// image is copied byte for byte (nnU-Net reads exactly what the project
// holds, and nothing is decompressed and compressed again); anything else
// is loaded (DICOM in dcm2niix's layout) and written.
func exportCase(ctx context.Context, p *project.Project, c *project.Case, dir string, remap map[int]int) (string, error) {
	src := p.Resolve(c.Image)
	var grid viewer.Geometry
	var img *viewer.Volume
	modality := ""
	imgOut := filepath.Join(dir, "imagesTr", c.ID+"_0000.nii.gz")
	if h, err := nifti.ReadHeader(src); err == nil && h.Compressed && strings.HasSuffix(strings.ToLower(src), ".nii.gz") && h.Dim[0] <= 3 {
		grid, _ = h.Geometry()
		if err := atomicfile.CopyNew(src, imgOut); err != nil {
			return "", fmt.Errorf("%s: %w", c.ID, err)
		}
	} else {
		var err error
		if img, err = project.LoadImage(ctx, src); err != nil {
			return "", fmt.Errorf("%s: image: %w", c.ID, err)
		}
		grid, modality = img.Geometry, img.Modality
	}
	lab, err := nifti.Read(p.Resolve(c.Labels))
	if err != nil {
		return "", fmt.Errorf("%s: labels: %w", c.ID, err)
	}
	lab, err = viewer.AlignTo(grid, lab, 0.01)
	if err != nil {
		return "", fmt.Errorf("%s: the label map is not on the image's grid: %w", c.ID, err)
	}
	out, err := viewer.NewVolume(grid, viewer.Uint8)
	if len(remap) > 256 {
		out, err = viewer.NewVolume(grid, viewer.Uint16)
	}
	if err != nil {
		return "", err
	}
	// A lookup table from project ids to dataset ids (-1: not in the
	// table), applied over the raw voxels.
	lut := make([]int32, 65536)
	for i := range lut {
		lut[i] = -1
	}
	for from, to := range remap {
		if from >= 0 && from < len(lut) {
			lut[from] = int32(to)
		}
	}
	unknown := map[int]bool{}
	set := func(i, v int) {
		if v < 0 || v >= len(lut) || lut[v] < 0 {
			unknown[v] = true
			return
		}
		switch d := out.Data.Raw().(type) {
		case []uint8:
			d[i] = uint8(lut[v])
		case []uint16:
			d[i] = uint16(lut[v])
		}
	}
	o8, is8 := out.Data.Raw().([]uint8)
	switch d := lab.Data.Raw().(type) {
	case []uint8:
		if is8 {
			for i, v := range d {
				if t := lut[v]; t >= 0 {
					o8[i] = uint8(t)
				} else {
					unknown[int(v)] = true
				}
			}
			break
		}
		for i, v := range d {
			set(i, int(v))
		}
	case []uint16:
		for i, v := range d {
			set(i, int(v))
		}
	default:
		n := lab.Data.Len()
		for i := 0; i < n; i++ {
			set(i, int(lab.Data.At(i)))
		}
	}
	if len(unknown) > 0 {
		var ids []string
		for v := range unknown {
			ids = append(ids, fmt.Sprint(v))
		}
		return "", fmt.Errorf("%s: label ids %s are not in the project's label table", c.ID, strings.Join(ids, ", "))
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if img != nil {
		if err := writeNIfTI(imgOut, img, nifti.WriteOptions{}); err != nil {
			return "", fmt.Errorf("%s: %w", c.ID, err)
		}
	}
	if err := writeNIfTI(filepath.Join(dir, "labelsTr", c.ID+".nii.gz"), out, nifti.WriteOptions{}); err != nil {
		return "", fmt.Errorf("%s: %w", c.ID, err)
	}
	return modality, nil
}

// writeDatasetJSON writes dataset.json with the required keys first and
// labels in id order; provenance goes in extra keys nnU-Net ignores.
func writeDatasetJSON(path string, p *project.Project, cases []*project.Case, labels []LabelEntry, channel string, o ExportOptions) error {
	var b strings.Builder
	b.WriteString("{\n  \"channel_names\": {\"0\": " + quote(channel) + "},\n  \"labels\": {")
	for i, l := range labels {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n    %s: %d", quote(l.Name), l.Values[0])
	}
	b.WriteString("\n  },\n")
	fmt.Fprintf(&b, "  \"numTraining\": %d,\n  \"file_ending\": \".nii.gz\",\n", len(cases))
	fmt.Fprintf(&b, "  \"name\": %s,\n  \"description\": %s,\n  \"converted_by\": \"Delineate\",\n", quote(o.Name), quote("exported from the Delineate project "+p.Name))
	type caseProv struct {
		Status     project.Status     `json:"status"`
		Provenance project.Provenance `json:"provenance"`
	}
	prov := map[string]caseProv{}
	for _, c := range cases {
		prov[c.ID] = caseProv{c.Status, c.Provenance}
	}
	pj, err := json.MarshalIndent(prov, "  ", "  ")
	if err != nil {
		return err
	}
	ids := map[string]int{}
	for _, l := range p.Labels {
		ids[l.Name] = l.ID
	}
	mj, _ := json.Marshal(ids)
	fmt.Fprintf(&b, "  \"delineate_project_label_ids\": %s,\n  \"delineate_provenance\": %s\n}\n", mj, pj)
	return project.WriteFileAtomic(path, []byte(b.String()), 0o644)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
