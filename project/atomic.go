package project

import (
	"os"

	"delineate/internal/atomicfile"
)

// WriteFileAtomic writes data to path so that path holds either its old
// content or all of data, never a mix, even if the machine stops midway
// (temporary file, fsync, rename, fsync of the folder); on any error path
// is untouched. See internal/atomicfile.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return atomicfile.WriteFile(path, data, perm)
}
