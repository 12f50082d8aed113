package main

import (
	"context"
	"fmt"
	"io"

	"delineate/inference"
	"delineate/project/nnunet"
)

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 2 && args[0] == "nnunet" {
		return verifyNNUNet(args[1], stdout)
	}
	if len(args) != 2 || args[0] != "run" {
		return usageErrorf("verify takes run RUN.json or nnunet DATASET")
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

// verifyNNUNet prints nnU-Net's integrity messages for a dataset folder
// and fails when any is an error.
func verifyNNUNet(dir string, stdout io.Writer) error {
	r := nnunet.Verify(dir)
	errs := 0
	for _, f := range r.Findings {
		fmt.Fprintln(stdout, f.Message)
		if f.Error {
			errs++
		}
	}
	if errs > 0 {
		return fmt.Errorf("%s: %d error(s): nnU-Net would refuse this dataset", dir, errs)
	}
	fmt.Fprintf(stdout, "\n####################\n%s\n####################\n\n%d training cases\n", nnunet.DoneMessage, r.Cases)
	return nil
}
