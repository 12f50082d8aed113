package builtin

import (
	"context"
	"testing"

	"delineate/viewer"
	"delineate/viewer/phantom"
)

// phantomTruth maps the demo phantom's ground-truth structures to the six
// tissue classes. The phantom labels organs, not densities, so two classes
// need its noise-free image as well:
//
//   - air inside the body is the gas in the stomach, small bowel and colon
//     and the airway lumen (all labelled with their organ): the voxels of
//     those labels whose noise-free HU is below −500, i.e. at least half
//     gas after the phantom's partial-volume blur;
//   - TissueBody alone (skin, partial volume) has no structure in the
//     phantom (skin is unlabelled), so it is scored only within the body
//     as a whole, which is every labelled voxel.
//
// Lungs are the two lungs with their vessels; bone every bone (vertebrae,
// ribs, sternum, clavicles, scapulae, hips; not the costal cartilages,
// which are 120 HU and so soft tissue by density); fat the subcutaneous
// and torso fat; soft tissue every other structure.
func phantomTruth(lab, clean []uint8, cleanHU []int16) {
	for i, l := range lab {
		var c uint8
		switch int(l) {
		case 0:
		case phantom.LabelLungRight, phantom.LabelLungLeft:
			c = TissueLungs
		case phantom.LabelVertebrae, phantom.LabelRibs, phantom.LabelSternum, phantom.LabelClavicleRight,
			phantom.LabelClavicleLeft, phantom.LabelScapulaRight, phantom.LabelScapulaLeft,
			phantom.LabelHipRight, phantom.LabelHipLeft:
			c = TissueBone
		case phantom.LabelSubcutaneousFat, phantom.LabelTorsoFat:
			c = TissueFat
		case phantom.LabelStomach, phantom.LabelSmallBowel, phantom.LabelColon, phantom.LabelTrachea:
			c = TissueSoft
			if cleanHU[i] < -500 {
				c = TissueAir
			}
		default:
			c = TissueSoft
		}
		clean[i] = c
	}
}

func genPhantom(tb testing.TB, opt phantom.Options) (ct *viewer.Volume, truth []uint8) {
	tb.Helper()
	ct, lab, _, err := phantom.Generate(opt)
	if err != nil {
		tb.Fatal(err)
	}
	opt.Noise = 0
	clean, _, _, err := phantom.Generate(opt)
	if err != nil {
		tb.Fatal(err)
	}
	truth = make([]uint8, lab.Data.Len())
	phantomTruth(lab.Data.(viewer.Voxels[uint8]), truth, clean.Data.(viewer.Voxels[int16]))
	return ct, truth
}

var classNames = map[int]string{TissueLungs: "lungs", TissueFat: "fat", TissueSoft: "soft tissue", TissueBone: "bone", TissueAir: "air inside body"}

// TestPhantomDice scores every class against the phantom's ground truth,
// on the demo grid (1.5×1.5×2 mm, routine noise) and on a coarse one (3 mm
// isotropic, more noise), where partial volume takes thin bone. Each
// threshold is 1–3 points under what the method measures (logged), so a
// regression of a few points fails.
func TestPhantomDice(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  phantom.Options
		want map[int]float64 // class → least Dice; 0 is the body as a whole
	}{
		{"demo 1.5 mm", phantom.DefaultOptions(),
			map[int]float64{0: 0.97, TissueLungs: 0.95, TissueFat: 0.94, TissueSoft: 0.93, TissueBone: 0.86, TissueAir: 0.92}},
		{"coarse 3 mm", phantom.Options{Dims: [3]int{128, 128, 108}, Spacing: viewer.Vec3{3, 3, 3}, Seed: 5, Noise: 15},
			map[int]float64{0: 0.97, TissueLungs: 0.94, TissueFat: 0.9, TissueSoft: 0.9, TissueBone: 0.77, TissueAir: 0.85}},
	} {
		ct, truth := genPhantom(t, c.opt)
		lm, err := SegmentCT(context.Background(), ct, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := labelsOf(t, lm)
		n := len(got)
		for _, cl := range []int{0, TissueLungs, TissueFat, TissueSoft, TissueBone, TissueAir} {
			var d float64
			name := "body (1..6)"
			if cl == 0 {
				d = dice(n, func(i int) bool { return got[i] != 0 }, func(i int) bool { return truth[i] != 0 })
			} else {
				name = classNames[cl]
				d = dice(n, func(i int) bool { return int(got[i]) == cl }, func(i int) bool { return int(truth[i]) == cl })
			}
			t.Logf("phantom %s: Dice %-16s %.4f", c.name, name, d)
			if d < c.want[cl] {
				t.Errorf("phantom %s: %s Dice %.4f < %.2f", c.name, name, d, c.want[cl])
			}
		}
	}
}
