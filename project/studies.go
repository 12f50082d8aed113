package project

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FindStudies expands a path to images: a NIfTI file or a DICOM file is
// one; a folder holding NIfTI files gives each of them, and its
// sub-folders one study each; a folder of DICOM files is one study.
func FindStudies(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var out []string
	files := 0
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		full := filepath.Join(path, name)
		switch {
		case e.IsDir():
			out = append(out, full)
		case isNIfTI(name):
			out = append(out, full)
		default:
			files++
		}
	}
	if len(out) == 0 && files > 0 {
		return []string{path}, nil
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no studies", path)
	}
	sort.Strings(out)
	return out, nil
}

func isNIfTI(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".nii") || strings.HasSuffix(n, ".nii.gz")
}
