package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"delineate/inference"
	"delineate/inference/ort"
)

func runModels(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("models takes list or check")
	}
	switch args[0] {
	case "list":
		return runModelsList(args[1:], stdout)
	case "check":
		return runModelsCheck(args[1:], stdout, stderr)
	case "add":
		return runModelsAdd(args[1:], stdout)
	}
	return usageErrorf("models %s: want list, check or add", args[0])
}

// modelEntry is one line of `models list`.
type modelEntry struct {
	Ref      string `json:"ref"`
	Name     string `json:"name,omitempty"`
	Title    string `json:"title,omitempty"`
	Version  string `json:"version,omitempty"`
	Family   string `json:"family,omitempty"`
	Modality string `json:"modality,omitempty"`
	Classes  int    `json:"classes,omitempty"`
	Labels   int    `json:"labels,omitempty"`
	Licence  string `json:"licence,omitempty"`
	Source   string `json:"source,omitempty"`
	Error    string `json:"error,omitempty"`
}

func runModelsList(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("models list", flag.ContinueOnError)
	dir := fs.String("dir", "", "models folder to list (default: --models, $DELINEATE_MODELS and the user's folder)")
	models := fs.String("models", "", "an extra models folder")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	dirs := inference.ModelDirs(*models)
	if *dir != "" {
		dirs = []string{*dir}
	}
	var out []modelEntry
	for _, e := range inference.ListModels(dirs) {
		me := modelEntry{Ref: e.Ref}
		if e.Err != nil {
			me.Error = e.Err.Error()
		} else {
			m := e.Model
			me.Name, me.Title, me.Version, me.Family, me.Modality = m.Name, m.Title, m.Version, m.Family, m.Modality
			me.Classes, me.Labels, me.Licence, me.Source = m.Output.Classes, len(m.Labels), m.Licence, m.Source
		}
		out = append(out, me)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func runModelsCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("models check", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	lib := fs.String("ort-lib", "", "ONNX Runtime library")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("models check takes a model folder")
	}
	var v inference.Validator
	if rt, err := ort.Load(*lib); err == nil {
		v = rt
	} else {
		fmt.Fprintln(stderr, "warning:", err)
	}
	r := inference.CheckModel(pos[0], v)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		for _, f := range r.Findings {
			fmt.Fprintf(stdout, "%-7s %s: %s\n", f.Level, f.What, f.Message)
		}
	}
	if !r.OK {
		return fmt.Errorf("%s: the description does not match its files (see above)", pos[0])
	}
	return nil
}

func runModelsAdd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("models add", flag.ContinueOnError)
	dir := fs.String("dir", inference.UserModelsDir(), "models folder to copy into")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("models add takes a model folder")
	}
	dest, err := inference.AddModel(pos[0], *dir)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, dest)
	return nil
}
