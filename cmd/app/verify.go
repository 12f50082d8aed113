package main

import (
	"context"
	"fmt"
	"io"

	"delineate/inference"
)

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "run" {
		return usageErrorf("verify takes run RUN.json")
	}
	bad, err := inference.VerifyRun(ctx, args[1])
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		for _, b := range bad {
			fmt.Fprintln(stdout, "MISMATCH", b)
		}
		return fmt.Errorf("%s: %d mismatch(es)", args[1], len(bad))
	}
	fmt.Fprintf(stdout, "ok: %s holds (output hash, grid and label counts, input grid, model files)\n", args[1])
	return nil
}
