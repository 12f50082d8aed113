package labelstudio

import (
	"image/png"
	"io"
)

func pngSize(r io.Reader) ([2]int, error) {
	c, err := png.DecodeConfig(r)
	return [2]int{c.Width, c.Height}, err
}
