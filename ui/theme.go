package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// readingRoomTheme is a dark, compact theme: reading rooms are dim, and the
// images, not the chrome, should take the screen.
type readingRoomTheme struct{ base fyne.Theme }

// NewTheme returns the workstation theme.
func NewTheme() fyne.Theme { return readingRoomTheme{base: theme.DefaultTheme()} }

var (
	colBackground = color.NRGBA{0x14, 0x15, 0x17, 0xff}
	colPanel      = color.NRGBA{0x1d, 0x1f, 0x22, 0xff}
	colInput      = color.NRGBA{0x26, 0x28, 0x2c, 0xff}
	colForeground = color.NRGBA{0xd8, 0xda, 0xde, 0xff}
	colAccent     = color.NRGBA{0x3d, 0xa5, 0xd9, 0xff}
)

func (t readingRoomTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameBackground:
		return colBackground
	case theme.ColorNameMenuBackground, theme.ColorNameOverlayBackground, theme.ColorNameHeaderBackground:
		return colPanel
	case theme.ColorNameInputBackground, theme.ColorNameButton:
		return colInput
	case theme.ColorNameForeground:
		return colForeground
	case theme.ColorNamePrimary, theme.ColorNameFocus:
		return colAccent
	}
	return t.base.Color(n, theme.VariantDark)
}

func (t readingRoomTheme) Font(s fyne.TextStyle) fyne.Resource { return t.base.Font(s) }

func (t readingRoomTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base.Icon(n) }

func (t readingRoomTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNamePadding:
		return 3
	case theme.SizeNameInnerPadding:
		return 5
	case theme.SizeNameText:
		return 12
	case theme.SizeNameCaptionText:
		return 10
	case theme.SizeNameSeparatorThickness:
		return 1
	}
	return t.base.Size(n)
}
