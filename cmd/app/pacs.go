package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"delineate/project/pacs"
)

// runPACS: `pacs query|retrieve|store|keyring`.
func runPACS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("pacs needs a subcommand: query, retrieve, store or keyring")
	}
	switch args[0] {
	case "query":
		return pacsQuery(ctx, args[1:], stdout, stderr)
	case "retrieve":
		return pacsRetrieve(ctx, args[1:], stdout, stderr)
	case "store":
		return pacsStore(ctx, args[1:], stdout, stderr)
	case "keyring":
		return pacsKeyring(args[1:], os.Stdin, stdout)
	}
	return usageErrorf("pacs: unknown subcommand %q (query, retrieve, store or keyring)", args[0])
}

// pacsFlags name a DICOMweb server and how to log in. Secrets come from
// files or the OS keyring, never from the command line.
type pacsFlags struct {
	url, user, passwordFile, tokenFile, caFile string
	timeout                                    time.Duration
}

func (p *pacsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.url, "url", "", "DICOMweb root, e.g. http://pacs:8042/dicom-web")
	fs.StringVar(&p.user, "user", "", "user name for HTTP Basic auth; the password comes from --password-file or the OS keyring (see `pacs keyring`)")
	fs.StringVar(&p.passwordFile, "password-file", "", "file whose first line is the password (mode 0600)")
	fs.StringVar(&p.tokenFile, "token-file", "", "file whose first line is a bearer token (mode 0600)")
	fs.StringVar(&p.caFile, "ca-file", "", "PEM CA certificates to trust for HTTPS instead of the system roots")
	fs.DurationVar(&p.timeout, "timeout", 30*time.Second, "connect and response timeout")
}

func (p *pacsFlags) client(stderr io.Writer) (*pacs.Client, error) {
	if p.url == "" {
		return nil, usageErrorf("a server needs --url")
	}
	var auth pacs.Auth
	secret := func(flagName, path string) (string, error) {
		s, private, err := pacs.ReadSecretFile(path)
		if err != nil {
			return "", fmt.Errorf("%s: %w", flagName, err)
		}
		if !private {
			fmt.Fprintf(stderr, "warning: %s is readable by others; chmod 600 it\n", path)
		}
		return s, nil
	}
	switch {
	case p.tokenFile != "" && (p.user != "" || p.passwordFile != ""):
		return nil, usageErrorf("give --token-file, or --user with --password-file, not both")
	case p.tokenFile != "":
		tok, err := secret("--token-file", p.tokenFile)
		if err != nil {
			return nil, err
		}
		auth.Token = tok
	case p.passwordFile != "" && p.user == "":
		return nil, usageErrorf("--password-file goes with --user")
	case p.passwordFile != "":
		pw, err := secret("--password-file", p.passwordFile)
		if err != nil {
			return nil, err
		}
		auth = pacs.Auth{Username: p.user, Password: pw}
	case p.user != "":
		pw, err := pacs.KeyringSecret(p.url, p.user)
		if errors.Is(err, pacs.ErrNoKeyringSecret) {
			return nil, usageErrorf("no password for %s: give --password-file F, or keep it in the OS keyring with `delineate pacs keyring --url URL --user U` (reads it from stdin)", p.user)
		}
		if err != nil {
			return nil, fmt.Errorf("%v; give --password-file F instead", err)
		}
		auth = pacs.Auth{Username: p.user, Password: pw}
	}
	return pacs.New(pacs.Config{URL: p.url, Auth: auth, CAFile: p.caFile, Timeout: p.timeout})
}

// pacsKeyring: `pacs keyring --url URL --user U [--delete]` keeps the
// password typed (or piped) on stdin in the OS keyring.
func pacsKeyring(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("pacs keyring", flag.ContinueOnError)
	u := fs.String("url", "", "DICOMweb root the password is for")
	user := fs.String("user", "", "user name")
	del := fs.Bool("delete", false, "remove the password instead")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *u == "" || *user == "" {
		return usageErrorf("pacs keyring takes --url and --user (the password is read from stdin)")
	}
	if *del {
		if err := pacs.DeleteKeyringSecret(*u, *user); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed the password of %s from the OS keyring\n", pacs.KeyringAccount(*u, *user))
		return nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return usageErrorf("pacs keyring: no password on stdin")
	}
	if err := pacs.SetKeyringSecret(*u, *user, pw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kept the password of %s in the OS keyring\n", pacs.KeyringAccount(*u, *user))
	return nil
}

// pacsResult is a search result as --json writes it; patient data and
// the accession number only with --phi.
type pacsResult struct {
	Level             string              `json:"level"`
	StudyInstanceUID  string              `json:"study_uid"`
	SeriesInstanceUID string              `json:"series_uid,omitempty"`
	SOPInstanceUID    string              `json:"sop_uid,omitempty"`
	StudyDate         string              `json:"study_date,omitempty"`
	StudyDescription  string              `json:"study_description,omitempty"`
	SeriesDescription string              `json:"series_description,omitempty"`
	Modality          string              `json:"modality,omitempty"`
	Modalities        []string            `json:"modalities,omitempty"`
	SeriesNumber      int                 `json:"series_number,omitempty"`
	InstanceNumber    int                 `json:"instance_number,omitempty"`
	Series            int                 `json:"series,omitempty"`
	Instances         int                 `json:"instances,omitempty"`
	AccessionNumber   string              `json:"accession,omitempty"`
	PatientID         string              `json:"patient_id,omitempty"`
	PatientName       string              `json:"patient_name,omitempty"`
	Extra             map[string][]string `json:"fields,omitempty"`
}

func pacsQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pacs query", flag.ContinueOnError)
	var pf pacsFlags
	pf.register(fs)
	var q pacs.Query
	fs.StringVar(&q.PatientID, "patient-id", "", "PatientID (wildcards * and ?)")
	fs.StringVar(&q.PatientName, "patient-name", "", "PatientName, e.g. 'Doe^J*'")
	fs.StringVar(&q.Modality, "modality", "", "CT, MR, SEG…: the series' modality, or one of the study's")
	date := fs.String("date", "", "StudyDate: YYYYMMDD, A-B, A- or -B")
	fs.StringVar(&q.AccessionNumber, "accession", "", "AccessionNumber")
	fs.StringVar(&q.StudyInstanceUID, "study", "", "StudyInstanceUID (a comma list is allowed)")
	fs.StringVar(&q.SeriesInstanceUID, "series", "", "SeriesInstanceUID (with --level series or instance)")
	level := fs.String("level", "study", "study, series or instance")
	fs.IntVar(&q.Limit, "limit", 0, "at most N results (the server picks which)")
	fs.IntVar(&q.Offset, "offset", 0, "skip the first N results")
	include := fs.String("include", "", "more attributes, comma-separated keywords or tags (JSON output: fields)")
	asJSON := fs.Bool("json", false, "JSON instead of a table")
	phi := fs.Bool("phi", false, "show the patient name and ID and the accession number")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageErrorf("pacs query takes flags only")
	}
	if q.Level, err = pacs.ParseLevel(*level); err != nil {
		return usageErrorf("--level: %v", err)
	}
	if q.DateFrom, q.DateTo, err = pacs.ParseDateRange(*date); err != nil {
		return usageErrorf("--date: %v", err)
	}
	if q.Limit < 0 || q.Offset < 0 {
		return usageErrorf("--limit and --offset must not be negative")
	}
	if *include != "" {
		q.IncludeFields = strings.Split(*include, ",")
	}
	c, err := pf.client(stderr)
	if err != nil {
		return err
	}
	rs, err := c.Search(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]pacsResult, 0, len(rs))
		for _, r := range rs {
			j := pacsResult{Level: r.Level.String(), StudyInstanceUID: r.StudyInstanceUID, SeriesInstanceUID: r.SeriesInstanceUID,
				SOPInstanceUID: r.SOPInstanceUID, StudyDate: r.StudyDate, StudyDescription: r.StudyDescription,
				SeriesDescription: r.SeriesDescription, Modality: r.Modality, Modalities: r.ModalitiesInStudy,
				SeriesNumber: r.SeriesNumber, InstanceNumber: r.InstanceNumber, Series: r.NumberOfSeries, Instances: r.NumberOfInstances}
			if *phi {
				j.AccessionNumber, j.PatientID, j.PatientName = r.AccessionNumber, r.PatientID, r.PatientName
			}
			for _, f := range q.IncludeFields {
				if a, ok := r.Attrs[includeTag(f)]; ok && !isPatientTag(includeTag(f)) || ok && *phi {
					if j.Extra == nil {
						j.Extra = map[string][]string{}
					}
					j.Extra[f] = a.Strings()
				}
			}
			out = append(out, j)
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	switch q.Level {
	case pacs.Studies:
		fmt.Fprint(tw, "DATE\tMODALITIES\tSERIES\tINSTANCES\tDESCRIPTION\tSTUDY UID")
		if *phi {
			fmt.Fprint(tw, "\tACCESSION\tPATIENT ID\tPATIENT NAME")
		}
		fmt.Fprintln(tw)
		for _, r := range rs {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s", showDate(r.StudyDate), strings.Join(r.ModalitiesInStudy, ","), r.NumberOfSeries,
				r.NumberOfInstances, oneLine(r.StudyDescription), r.StudyInstanceUID)
			if *phi {
				fmt.Fprintf(tw, "\t%s\t%s\t%s", r.AccessionNumber, r.PatientID, r.PatientName)
			}
			fmt.Fprintln(tw)
		}
	case pacs.Series:
		fmt.Fprintln(tw, "DATE\tMODALITY\tNUMBER\tINSTANCES\tDESCRIPTION\tSTUDY UID\tSERIES UID")
		for _, r := range rs {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", showDate(r.StudyDate), r.Modality, r.SeriesNumber, r.NumberOfInstances,
				oneLine(r.SeriesDescription), r.StudyInstanceUID, r.SeriesInstanceUID)
		}
	default:
		fmt.Fprintln(tw, "NUMBER\tMODALITY\tFRAMES\tSERIES UID\tSOP INSTANCE UID")
		for _, r := range rs {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", r.InstanceNumber, r.Modality, max(r.NumberOfFrames, 1), r.SeriesInstanceUID, r.SOPInstanceUID)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d %s found\n", len(rs), plural(len(rs), q.Level))
	return nil
}

// includeTag is the DICOM JSON key of an --include name.
func includeTag(f string) string {
	if k, ok := pacs.TagKey(f); ok {
		return k
	}
	return f
}

// isPatientTag: group 0010 (patient) and the accession, referring
// physician and institution are shown only with --phi.
func isPatientTag(t string) bool {
	return strings.HasPrefix(t, "0010") || t == "00080050" || t == "00080090" || t == "00080080"
}

func plural(n int, l pacs.Level) string {
	switch {
	case l == pacs.Studies && n != 1:
		return "studies"
	case l == pacs.Instances && n != 1:
		return "instances"
	}
	return l.String()
}

func showDate(d string) string {
	if len(d) == 8 {
		return d[:4] + "-" + d[4:6] + "-" + d[6:]
	}
	if d == "" {
		return "-"
	}
	return d
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	return s
}

func pacsRetrieve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pacs retrieve", flag.ContinueOnError)
	var pf pacsFlags
	pf.register(fs)
	study := fs.String("study", "", "StudyInstanceUID")
	series := fs.String("series", "", "SeriesInstanceUID (default: every series of the study)")
	out := fs.String("out", "", "cache folder: instances land in OUT/STUDY/SERIES/SOP.dcm; what is there is not fetched again")
	noSync := fs.Bool("no-sync", false, "do not fsync each file before renaming it into place")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *study == "" || *out == "" {
		return usageErrorf("pacs retrieve takes --url, --study UID [--series UID] and --out DIR")
	}
	c, err := pf.client(stderr)
	if err != nil {
		return err
	}
	start := time.Now()
	last := time.Time{}
	opt := pacs.RetrieveOptions{NoSync: *noSync, Progress: func(p pacs.Progress) {
		if now := time.Now(); now.Sub(last) >= 200*time.Millisecond || (p.Total > 0 && p.Instances == p.Total) {
			last = now
			fmt.Fprintf(stderr, "\r%d/%d instances (%d already there), %.1f MB", p.Instances, p.Total, p.Skipped, float64(p.Bytes)/1e6)
		}
	}}
	var r *pacs.Retrieved
	if *series != "" {
		r, err = c.RetrieveSeries(ctx, *out, *study, *series, opt)
	} else {
		r, err = c.RetrieveStudy(ctx, *out, *study, opt)
	}
	fmt.Fprintln(stderr)
	if err != nil {
		if r != nil && len(r.Files) > 0 {
			fmt.Fprintf(stderr, "%d instances are in %s; run the same command again to go on\n", len(r.Files), *out)
		}
		return err
	}
	dt := time.Since(start).Seconds()
	where := filepath.Join(*out, *study)
	if *series != "" {
		where = pacs.SeriesDir(*out, *study, *series)
	}
	fmt.Fprintf(stdout, "%d instances in %s (%d series): %d fetched, %d already there; %.1f MB in %.2f s (%.0f MB/s)\n",
		len(r.Files), where, len(r.Series), r.Fetched, r.Skipped, float64(r.Bytes)/1e6, dt, float64(r.Bytes)/1e6/dt)
	return nil
}

func pacsStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pacs store", flag.ContinueOnError)
	var pf pacsFlags
	pf.register(fs)
	study := fs.String("study", "", "store to /studies/UID: the server refuses instances of other studies")
	asJSON := fs.Bool("json", false, "the outcome per file as JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("pacs store takes --url and FILE|DIR...")
	}
	c, err := pf.client(stderr)
	if err != nil {
		return err
	}
	files, err := pacs.CollectFiles(pos...)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no DICOM files in %s", strings.Join(pos, " "))
	}
	start := time.Now()
	last := time.Time{}
	res, err := c.Store(ctx, files, pacs.StoreOptions{StudyInstanceUID: *study, Progress: func(p pacs.Progress) {
		if now := time.Now(); now.Sub(last) >= 200*time.Millisecond || p.Instances == p.Total {
			last = now
			fmt.Fprintf(stderr, "\r%d/%d instances answered, %.1f MB sent", p.Instances, p.Total, float64(p.Bytes)/1e6)
		}
	}})
	fmt.Fprintln(stderr)
	if res != nil {
		if *asJSON {
			b, _ := json.MarshalIndent(res, "", "  ")
			fmt.Fprintf(stdout, "%s\n", b)
		} else {
			fmt.Fprintf(stdout, "stored %d of %d files (%.1f MB in %.2f s)", len(res.Stored), len(files), float64(res.Bytes)/1e6, time.Since(start).Seconds())
			if len(res.Failed) > 0 {
				fmt.Fprintf(stdout, "; %d failed:", len(res.Failed))
			}
			fmt.Fprintln(stdout)
			for _, f := range res.Failed {
				fmt.Fprintf(stdout, "  %s: %s\n", f.File, f.Reason)
			}
		}
	}
	if err != nil {
		return err
	}
	if len(res.Failed) > 0 {
		return fmt.Errorf("%d of %d files were not stored", len(res.Failed), len(files))
	}
	return nil
}
