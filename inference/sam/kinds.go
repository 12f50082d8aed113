package sam

import (
	"fmt"
	"image"
)

// Kinds of export. They differ in how the slice becomes the encoder's
// input (aspect kept or stretched, which normalisation), which prompts the
// decoder takes, and its tensors (../shared/specs/models.md §4).
const (
	KindSAM        = "sam"        // SAM, MobileSAM, EdgeSAM: aspect kept, SAM mean/std, points and boxes
	KindMedSAM     = "medsam"     // MedSAM (ViT-B): stretched to 1024², min–max, boxes only
	KindLiteMedSAM = "litemedsam" // LiteMedSAM: 256, aspect kept, min–max, boxes only, low-res masks
	KindSAM2       = "sam2"       // SAM2: stretched to 1024², ImageNet mean/std, high-res features, low-res masks
)

// Normalisation says how a 0..255 grey value becomes the encoder's input.
type Normalisation int

const (
	NormSAM      Normalisation = iota // (v − SAM mean) / SAM std, on 0..255
	NormMinMax                        // (v − min) / (max − min) over the slice
	NormImageNet                      // (v/255 − ImageNet mean) / ImageNet std
)

// kindSpec is what a kind fixes.
type kindSpec struct {
	size    int
	stretch bool // resize to size² without keeping the aspect
	norm    Normalisation
	boxOnly bool
	names   Names
}

var kinds = map[string]kindSpec{
	KindSAM:    {size: 1024, norm: NormSAM, names: DefaultNames},
	KindMedSAM: {size: 1024, stretch: true, norm: NormMinMax, boxOnly: true, names: DefaultNames},
	// LiteMedSAM's decoder exports take the box as one tensor and answer
	// low-resolution masks over the whole 256² frame.
	KindLiteMedSAM: {size: 256, norm: NormMinMax, boxOnly: true, names: Names{Image: "image", Embeddings: "image_embeddings",
		Boxes: "boxes", Masks: "low_res_masks", Scores: "iou_predictions"}},
	// SAM2's decoder takes the encoder's two high-resolution feature maps
	// besides the embedding, and answers 256² masks over the 1024² frame.
	KindSAM2: {size: 1024, stretch: true, norm: NormImageNet, names: Names{Image: "image", Embeddings: "image_embed",
		Extra:  []string{"high_res_feats_0", "high_res_feats_1"},
		Coords: "point_coords", Labels: "point_labels", MaskIn: "mask_input", HasMask: "has_mask_input",
		Masks: "masks", Scores: "iou_predictions"}},
}

// KindNames lists the kinds, for messages.
const KindNames = "sam, medsam, litemedsam or sam2"

func specOf(kind string) (kindSpec, error) {
	if kind == "" {
		kind = KindSAM
	}
	k, ok := kinds[kind]
	if !ok {
		return kindSpec{}, fmt.Errorf("sam: kind %q (want %s)", kind, KindNames)
	}
	return k, nil
}

// DefaultNamesOf are the tensor names of a kind's usual export.
func DefaultNamesOf(kind string) (Names, error) {
	k, err := specOf(kind)
	return k.names, err
}

// BoxOnly says whether the model takes box prompts only.
func (m *Model) BoxOnly() bool {
	k, _ := specOf(m.Kind)
	return k.boxOnly || m.Names.Coords == ""
}

// frame places a W×H slice of colMM×rowMM pixels as the kind wants.
func (m *Model) frame(w, h int, colMM, rowMM float64) (Frame, error) {
	k, err := specOf(m.Kind)
	if err != nil {
		return Frame{}, err
	}
	if k.stretch {
		return NewStretchFrame(w, h, m.Size)
	}
	return NewFrame(w, h, colMM, rowMM, m.Size)
}

// input renders the encoder's input for the kind.
func (m *Model) input(f Frame, g *image.Gray) ([]float32, error) {
	k, err := specOf(m.Kind)
	if err != nil {
		return nil, err
	}
	return f.InputNorm(g, nil, k.norm)
}
