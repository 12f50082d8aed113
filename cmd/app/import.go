package main

import (
	"context"
	"fmt"
	"io"

	"delineate/project/nnunet"
)

// runImport: `import nnunet DATASET PROJECT`.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 3 || args[0] != "nnunet" {
		return usageErrorf("import takes nnunet DATASET PROJECT")
	}
	p, err := nnunet.Import(args[1], args[2])
	if err != nil {
		return err
	}
	defer p.Close()
	s := p.Summarise()
	fmt.Fprintf(stdout, "created project %s: %d cases (%d with labels, done), %d labels\n", p.Dir(), s.Cases, s.Done, len(p.Labels))
	return nil
}
