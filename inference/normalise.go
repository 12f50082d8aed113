package inference

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// normalise applies the intensity normalisation to x in place and says
// what it did (with the statistics it used, for the report).
func normalise(ctx context.Context, x []float32, in Intensity) (string, error) {
	if len(x) == 0 {
		return "", fmt.Errorf("empty volume")
	}
	scale := func(lo, hi float64, clip bool) {
		d := hi - lo
		if !(d > 0) {
			for i := range x {
				x[i] = 0
			}
			return
		}
		l, inv := float32(lo), float32(1/d)
		for i, v := range x {
			if clip {
				v = min(max(v, l), float32(hi))
			}
			x[i] = (v - l) * inv
		}
	}
	switch in.Method {
	case "none":
		return "none", nil
	case "minmax":
		lo, hi := rangeF32(x)
		scale(lo, hi, false)
		return fmt.Sprintf("min–max %g..%g → 0..1", lo, hi), nil
	case "quantile":
		lo, hi, err := quantiles(ctx, x, in.Low, in.High)
		if err != nil {
			return "", err
		}
		scale(lo, hi, true)
		return fmt.Sprintf("quantiles %g (%g) .. %g (%g) → 0..1, clipped", in.Low, lo, in.High, hi), nil
	case "window":
		lo := in.Center - in.Width/2
		scale(lo, lo+in.Width, true)
		return fmt.Sprintf("window C%g/W%g → 0..1, clipped", in.Center, in.Width), nil
	case "zscore":
		mean, std := in.Mean, in.Std
		what := "given"
		if std == 0 {
			mean, std = meanStd(x)
			what = "per image"
		}
		m, inv := float32(mean), float32(1/math.Max(std, 1e-8))
		for i, v := range x {
			x[i] = (v - m) * inv
		}
		return fmt.Sprintf("z-score (%s mean %g, std %g)", what, mean, std), nil
	case "ct":
		lo, hi := float32(in.Low), float32(in.High)
		m, inv := float32(in.Mean), float32(1/in.Std)
		for i, v := range x {
			x[i] = (min(max(v, lo), hi) - m) * inv
		}
		return fmt.Sprintf("nnU-Net CT: clip %g..%g, (x − %g)/%g", in.Low, in.High, in.Mean, in.Std), nil
	}
	return "", fmt.Errorf("unknown intensity method %q", in.Method)
}

func rangeF32(x []float32) (float64, float64) {
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	return float64(lo), float64(hi)
}

func meanStd(x []float32) (float64, float64) {
	var s, s2 float64
	for _, v := range x {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	n := float64(len(x))
	m := s / n
	return m, math.Sqrt(math.Max(s2/n-m*m, 0))
}

// quantiles returns numpy-style (linear) percentiles qa and qb of x,
// selecting on a copy so that x keeps its order.
func quantiles(ctx context.Context, x []float32, qa, qb float64) (float64, float64, error) {
	c := slices.Clone(x)
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	slices.Sort(c)
	at := func(q float64) float64 {
		h := q * float64(len(c)-1)
		f := math.Floor(h)
		i := int(f)
		if i >= len(c)-1 {
			return float64(c[len(c)-1])
		}
		return float64(c[i]) + (h-f)*(float64(c[i+1])-float64(c[i]))
	}
	return at(qa), at(qb), nil
}
