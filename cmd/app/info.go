package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"

	"delineate/viewer/load"
)

func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	defer batchGC()()
	fs := flag.NewFlagSet("info", flag.ContinueOnError)
	phi := fs.Bool("phi", false, "include patient name and ID")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("info takes one PATH")
	}
	st, err := load.Open(ctx, pos[0], load.Options{PHI: *phi})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(st)
}
