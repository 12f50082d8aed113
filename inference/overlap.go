package inference

import (
	"context"

	"delineate/inference/onnx"
)

// overlapTiles splits dims into cores of at most core voxels per axis and
// grows each by margin (clipped to the volume): a fully convolutional
// network whose receptive-field radius is at most margin gives, at every
// core voxel, exactly what one pass over the whole volume gives, because
// everything that voxel sees lies inside its tile, and where the tile
// meets the volume's edge the network pads just as it would there.
func overlapTiles(dims, core [3]int, margin int) (tiles, cores []box) {
	var starts [3][]int
	for a := 0; a < 3; a++ {
		c := max(1, min(core[a], dims[a]))
		for s := 0; s < dims[a]; s += c {
			starts[a] = append(starts[a], s)
		}
	}
	for _, k := range starts[2] {
		for _, j := range starts[1] {
			for _, i := range starts[0] {
				var cb, tb box
				for a, s := range [3]int{i, j, k} {
					c := max(1, min(core[a], dims[a]))
					cb.Lo[a], cb.Hi[a] = s, min(s+c, dims[a])
					tb.Lo[a], tb.Hi[a] = max(0, s-margin), min(dims[a], s+c+margin)
				}
				tiles = append(tiles, tb)
				cores = append(cores, cb)
			}
		}
	}
	return tiles, cores
}

// runOverlap runs the network over overlapping tiles and writes the
// argmax of every core voxel into labels. Only one tile's output exists at
// a time, so memory is bounded by the largest tile whatever the number of
// classes.
func runOverlap(ctx context.Context, net Net, v volume, ax Axes, classes int, head *onnx.Head, core [3]int, margin int, labels []uint16, progress func(done, total int)) error {
	if head != nil {
		classes = head.Channels
	}
	tiles, cores := overlapTiles(v.dims, core, margin)
	var buf []float32
	for n, tb := range tiles {
		if err := ctx.Err(); err != nil {
			return err
		}
		in := tensorOf(v, tb, ax, buf)
		buf = in.Data
		err := net.Run(ctx, in, outShape(in, classes), func(out Tensor) error {
			tv, err := newTileView(out, tb, ax, classes)
			if err != nil {
				return err
			}
			if head != nil {
				headArgmaxInto(tv, head, tb, cores[n], labels, v.dims)
			} else {
				argmaxInto(tv, tb, cores[n], labels, v.dims)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if progress != nil {
			progress(n+1, len(tiles))
		}
	}
	return nil
}

// outShape is the output of a segmentation network for input in: K
// classes on the same spatial grid.
func outShape(in Tensor, classes int) []int {
	s := append([]int(nil), in.Shape...)
	s[1] = classes
	return s
}
