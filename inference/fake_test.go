package inference

import (
	"context"
	"math"
)

// boxNet is a pure-Go stand-in for a fully convolutional network: class c
// logit at a voxel = sum over the (2r+1)³ neighbourhood (zero outside the
// tile, as a convolution pads) of sin((c+2)·x + c), so the output depends on
// neighbours up to r voxels away and on the tile border exactly as a real
// network's does.
type boxNet struct {
	r, classes int
	calls      int
	voxels     int
	maxTile    int
	cancelAt   int // cancel (via cancel) when calls reaches this
	cancel     context.CancelFunc
}

func (n *boxNet) Device() DeviceInfo { return DeviceInfo{Requested: "cpu", Used: "cpu"} }
func (n *boxNet) Close()             {}

func (n *boxNet) Run(ctx context.Context, in Tensor, _ []int, use func(Tensor) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.calls++
	if n.cancel != nil && n.calls == n.cancelAt {
		n.cancel()
		return ctx.Err()
	}
	d, h, w := in.Shape[2], in.Shape[3], in.Shape[4]
	n.voxels += d * h * w
	n.maxTile = max(n.maxTile, d*h*w)
	out := Tensor{Shape: []int{1, n.classes, d, h, w}, Data: make([]float32, n.classes*d*h*w)}
	plane := d * h * w
	for z := 0; z < d; z++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for c := 0; c < n.classes; c++ {
					var s float64
					for dz := -n.r; dz <= n.r; dz++ {
						for dy := -n.r; dy <= n.r; dy++ {
							for dx := -n.r; dx <= n.r; dx++ {
								zz, yy, xx := z+dz, y+dy, x+dx
								if zz < 0 || yy < 0 || xx < 0 || zz >= d || yy >= h || xx >= w {
									continue
								}
								v := float64(in.Data[(zz*h+yy)*w+xx])
								// Weighted by position so the network can tell
								// its axes apart.
								s += math.Sin(float64(c+2)*v+float64(c)) * (1 + 0.1*float64(dx) + 0.03*float64(dz))
							}
						}
					}
					out.Data[c*plane+(z*h+y)*w+x] = float32(s)
				}
			}
		}
	}
	return use(out)
}

// diffNet is the axis probe: logits from the difference along the last
// tensor axis (W), as testdata's tiny-axis network computes it.
type diffNet struct{}

func (diffNet) Device() DeviceInfo { return DeviceInfo{Used: "cpu"} }
func (diffNet) Close()             {}
func (diffNet) Run(ctx context.Context, in Tensor, _ []int, use func(Tensor) error) error {
	d, h, w := in.Shape[2], in.Shape[3], in.Shape[4]
	plane := d * h * w
	out := Tensor{Shape: []int{1, 3, d, h, w}, Data: make([]float32, 3*plane)}
	for z := 0; z < d; z++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var a, b float32
				if x+1 < w {
					a = in.Data[(z*h+y)*w+x+1]
				}
				if x > 0 {
					b = in.Data[(z*h+y)*w+x-1]
				}
				g := a - b
				o := (z*h+y)*w + x
				out.Data[plane+o] = g - 0.5
				out.Data[2*plane+o] = -g - 0.5
			}
		}
	}
	return use(out)
}

// fakeBackend opens one fake network for every spec.
type fakeBackend struct{ net Net }

func (f fakeBackend) Open(NetSpec) (Net, error) { return f.net, nil }
func (f fakeBackend) Describe() string          { return "fake" }
