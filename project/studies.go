package project

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxStudyDepth bounds how deep FindStudies looks for series: PACS exports
// nest patient / study / series, often inside one more folder.
const maxStudyDepth = 4

// dicomProbe is how many files of a folder are read to decide whether it
// holds a DICOM series; a series folder's first files are DICOM.
const dicomProbe = 8

// FindStudies expands a path to the images under it: a file is one study;
// every NIfTI file found is one; a folder holding DICOM files is one (a
// series). Folders holding neither are looked into (to maxStudyDepth
// levels) and otherwise ignored, as are hidden entries and the folders
// given in exclude (a project's own folder, so that adding the folder a
// project lives in does not add the project to itself).
func FindStudies(path string, exclude ...string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var skip []string
	for _, e := range exclude {
		if a, err := filepath.Abs(e); err == nil {
			skip = append(skip, a)
		}
	}
	var out []string
	if err := findIn(path, 0, skip, &out); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no DICOM series or NIfTI images found under %s", path)
	}
	sort.Strings(out)
	return out, nil
}

func findIn(dir string, depth int, skip []string, out *[]string) error {
	if a, err := filepath.Abs(dir); err == nil {
		for _, s := range skip {
			if a == s || strings.HasPrefix(a, s+string(filepath.Separator)) {
				return nil
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var subdirs []string
	probed, dicom := 0, false
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		full := filepath.Join(dir, name)
		switch {
		case e.IsDir():
			subdirs = append(subdirs, full)
		case isNIfTI(name):
			*out = append(*out, full)
		case !dicom && probed < dicomProbe && e.Type().IsRegular():
			probed++
			dicom = looksDICOM(full)
		}
	}
	if dicom {
		*out = append(*out, dir)
		return nil
	}
	if depth >= maxStudyDepth {
		return nil
	}
	for _, s := range subdirs {
		if err := findIn(s, depth+1, skip, out); err != nil {
			return err
		}
	}
	return nil
}

// looksDICOM reports whether a file starts as a DICOM Part 10 file does
// (128-byte preamble, then "DICM").
func looksDICOM(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [132]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return false
	}
	return bytes.Equal(head[128:], []byte("DICM"))
}

func isNIfTI(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".nii") || strings.HasSuffix(n, ".nii.gz")
}
