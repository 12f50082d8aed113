// Package ui is Delineate's workstation window in Fyne: slice views, the
// windowing panel, the series list, the status bar. It only arranges widgets
// and forwards user actions to the packages below it (viewer, viewer/view,
// viewer/load); geometry, windowing and file handling live there, so that
// everything but the drawing is tested without a display.
package ui
