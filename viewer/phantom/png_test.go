package phantom

import (
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"delineate/viewer"
)

var pngDir = flag.String("phantom.png", "", "write axial, coronal and sagittal mid-slices of the phantom as PNG to this directory")

// TestWritePNGs renders the three mid-slices as a reader would see them:
// soft-tissue window (C 40 / W 400), lung window (C −600 / W 1500) and the
// label overlay, side by side.
// It always renders into t.TempDir(), so the code path is exercised; with
// -phantom.png DIR the pictures go to DIR instead, to be looked at.
func TestWritePNGs(t *testing.T) {
	ct, lab, table, err := Generate(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if *pngDir != "" {
		dir = *pngDir
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range viewer.Planes {
		img, err := planePicture(ct, lab, table, p, viewer.SliceCount(ct.Geometry, p)/2, 2)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "phantom-"+p.String()+".png")
		if err := writePNG(path, img); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
}

// planePicture renders slice k of plane p in soft-tissue window, in lung
// window and with the label overlay, side by side, scaled to square
// millimetres and zoomed by zoom (nearest neighbour, as a viewer would).
func planePicture(ct, lab *viewer.Volume, table []Label, p viewer.Plane, k, zoom int) (image.Image, error) {
	soft, err := viewer.RenderSlice(ct, p, k, viewer.NewWindowLUT(viewer.Window{Center: 40, Width: 400}), nil)
	if err != nil {
		return nil, err
	}
	lungW, err := viewer.RenderSlice(ct, p, k, viewer.NewWindowLUT(viewer.Window{Center: -600, Width: 1500}), nil)
	if err != nil {
		return nil, err
	}
	colours := viewer.LabelColours(make([]color.RGBA, 256))
	for _, l := range table {
		colours[l.ID] = l.Colour
	}
	// Tissue classes would cover the whole body: show organs only.
	for _, id := range []int{LabelSkeletalMuscle, LabelSubcutaneousFat, LabelTorsoFat} {
		colours[id].A = 0
	}
	over, err := viewer.RenderOverlay(soft, lab, p, k, 0.45, colours, nil)
	if err != nil {
		return nil, err
	}
	col, row := viewer.PixelSpacing(ct.Geometry, p)
	w, h := soft.Rect.Dx(), soft.Rect.Dy()
	// Output pixels are col/zoom mm square; each samples its source pixel.
	ow, oh := w*zoom, int(float64(h)*row/col*float64(zoom)+0.5)
	const gap = 6
	out := image.NewRGBA(image.Rect(0, 0, 3*ow+2*gap, oh))
	draw.Draw(out, out.Rect, image.NewUniform(color.RGBA{40, 40, 40, 255}), image.Point{}, draw.Src)
	for y := 0; y < oh; y++ {
		sy := min(h-1, int(float64(y)*col/row/float64(zoom)))
		for x := 0; x < ow; x++ {
			sx := x / zoom
			g := soft.Pix[sy*soft.Stride+sx]
			out.Set(x, y, color.RGBA{g, g, g, 255})
			g = lungW.Pix[sy*lungW.Stride+sx]
			out.Set(ow+gap+x, y, color.RGBA{g, g, g, 255})
			out.Set(2*(ow+gap)+x, y, over.At(sx, sy))
		}
	}
	return out, nil
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
