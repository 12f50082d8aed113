// Package assets holds Delineate's embedded resources: the application icon
// (drawn by gen_icon.go). It has no GUI dependency; cmd/app wraps the bytes
// as a Fyne resource.
package assets

import _ "embed"

// IconPNG is the application icon, 256×256 PNG.
//
//go:embed icon.png
var IconPNG []byte
