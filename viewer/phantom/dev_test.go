package phantom

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"strconv"
	"strings"
	"testing"

	"delineate/viewer"
)

// PHANTOM_DEV="a:80,c:128,s:128" renders those slices, 2x, to /tmp/ph/dev-*.png
func TestDev(t *testing.T) {
	spec := os.Getenv("PHANTOM_DEV")
	if spec == "" {
		t.Skip()
	}
	ct, lab, table, err := Generate(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range strings.Split(spec, ",") {
		pk := strings.Split(it, ":")
		p, _ := viewer.ParsePlane(pk[0])
		k, _ := strconv.Atoi(pk[1])
		img, err := planePicture(ct, lab, table, p, k)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		big := image.NewRGBA(image.Rect(0, 0, b.Dx()*2, b.Dy()*2))
		for y := 0; y < b.Dy()*2; y++ {
			for x := 0; x < b.Dx()*2; x++ {
				big.Set(x, y, color.RGBAModel.Convert(img.At(x/2, y/2)))
			}
		}
		writePNG(fmt.Sprintf("/tmp/ph/dev-%s%d.png", pk[0], k), big)
	}
}

func TestDevStats(t *testing.T) {
	if os.Getenv("PHANTOM_DEV") == "" {
		t.Skip()
	}
	_, _, tis, _ := generate(DefaultOptions(), true)
	var n [numTissues]int
	for _, x := range tis {
		n[x]++
	}
	for i, c := range n {
		t.Logf("%-30s %8d", tissueInfo[i].name, c)
	}
}

func TestDevVessels(t *testing.T) {
	if os.Getenv("PHANTOM_DEV") == "" {
		t.Skip()
	}
	n := map[float64]int{}
	for _, s := range model() {
		if seg, ok := s.(*segment); ok && seg.vessel {
			n[seg.ra]++
		}
	}
	t.Log(n)
}
