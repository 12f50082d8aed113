package ui

import "fyne.io/fyne/v2"

// do hands fn to the UI goroutine: every result of background work
// (loading, jobs, statistics, autosave) reaches the widgets through it.
// In the app it is fyne.Do. Fyne's test driver runs fyne.Do on the
// calling goroutine, so two background callbacks could touch widgets at
// once in a test; the tests replace do with one that runs everything on
// a single goroutine, as the real driver does.
var do = fyne.Do
