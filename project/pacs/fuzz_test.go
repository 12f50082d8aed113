package pacs

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParseResults(f *testing.F) {
	f.Add([]byte(`[{"0020000D":{"vr":"UI","Value":["1.2.3"]},"00201208":{"vr":"IS","Value":[20]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"A^B"}]},"00080061":{"vr":"CS","Value":["CT","SEG"]}}]`))
	f.Add([]byte(`[{"00100010":{"vr":"PN"},"00200032":{"vr":"DS","Value":[-249.5,1e300,null]},"00620002":{"vr":"SQ","Value":[{"00620004":{"vr":"US","Value":[1]}}]}}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"x":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, l := range []Level{Studies, Series, Instances} {
			rs, err := ParseResults(bytes.NewReader(b), l)
			if err != nil {
				continue
			}
			SortResults(rs)
			for _, r := range rs {
				_ = r.String()
				for _, a := range r.Attrs {
					a.Strings()
					a.Int()
				}
			}
		}
	})
}

func FuzzParseStowResponse(f *testing.F) {
	f.Add([]byte(`{"00081190":{"vr":"UR","Value":["http://h/dicom-web/studies/1.2"]},"00081198":{"vr":"SQ"},"00081199":{"vr":"SQ","Value":[{"00081150":{"vr":"UI","Value":["1.2.840.10008.5.1.4.1.1.2"]},"00081155":{"vr":"UI","Value":["1.2.3"]}}]}}`))
	f.Add([]byte(`[{"00081198":{"vr":"SQ","Value":[{"00081155":{"vr":"UI","Value":["1.2"]},"00081197":{"vr":"US","Value":[272]}}]}}]`))
	f.Add([]byte(`{"00081199":{"vr":"SQ","Value":[1,"x",null]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseStowResponse(b)
		if err != nil {
			return
		}
		for _, d := range append(r.referenced, r.failed...) {
			_ = d.Get("00081155").String()
			if n, ok := d.Get("00081197").Int(); ok {
				FailureReasonText(n)
			}
		}
	})
}

func FuzzParseFileMeta(f *testing.F) {
	if b, err := os.ReadFile(segFixture); err == nil {
		f.Add(b[:min(len(b), 1024)])
	}
	f.Add(append(make([]byte, 128), []byte("DICM\x02\x00\x03\x00UI\x04\x001.2\x00")...))
	f.Add(append(make([]byte, 128), []byte("DICM\x02\x00\x01\x00OB\x00\x00\xff\xff\xff\x7f")...))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseFileMeta(b)
		if err == nil && len(m.sopInstance) > len(b) {
			t.Fatal("value longer than the input")
		}
	})
}

// FuzzRetrieveParts feeds arbitrary multipart bodies to the code that
// files WADO-RS parts: no panic, and nothing lands outside the series
// folder or under a name that is not a UID.
func FuzzRetrieveParts(f *testing.F) {
	seg, err := os.ReadFile(segFixture)
	if err != nil {
		f.Skip(err)
	}
	head := seg[:min(len(seg), 2048)]
	body := func(parts ...[]byte) []byte {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.SetBoundary("B0undary")
		for _, p := range parts {
			w, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/dicom"}})
			w.Write(p)
		}
		mw.Close()
		return b.Bytes()
	}
	f.Add(body(head))
	f.Add(body(head, head))
	f.Add(body([]byte("not dicom")))
	traversal := append([]byte(nil), head...)
	if i := bytes.Index(traversal, []byte("2.25.150757018533875411389629932898043578773")); i > 0 {
		copy(traversal[i:], "../../../../../../etc/passwd")
	}
	f.Add(body(traversal))
	f.Add([]byte("--B0undary\r\nContent-Type: text/plain\r\n\r\nx\r\n--B0undary--"))
	f.Fuzz(func(t *testing.T, b []byte) {
		root := t.TempDir()
		dir := filepath.Join(root, "s", "se")
		os.MkdirAll(dir, 0o755)
		c, _ := New(Config{URL: "http://127.0.0.1:1"})
		w := &retrieval{c: c, dir: dir, opt: RetrieveOptions{NoSync: true}, have: map[string]bool{}, expected: map[string]bool{}}
		_ = w.parts(context.Background(), bytes.NewReader(b), "B0undary", "/fuzz")
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if filepath.Dir(p) != dir || !validUID(strings.TrimSuffix(d.Name(), ".dcm")) || !strings.HasSuffix(d.Name(), ".dcm") {
				t.Fatalf("file %s written", p)
			}
			return nil
		})
	})
}

// FuzzPartScanner runs the multipart scanner alone (no files, so many more
// inputs per second than FuzzRetrieveParts), with small read windows so
// delimiters straddle them: no panic, no hang, never more bytes out than in.
func FuzzPartScanner(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Type: application/dicom\r\n\r\nabc\r\n--B\r\n\r\n\r\n--B--\r\n"), uint8(0))
	f.Add([]byte("pre\r\n--B \t\r\nA: b\r\n\r\n\r\n--B\r\n--B--"), uint8(3))
	f.Add([]byte("--B\r\n\r\n\r\n--Bx\r\n"), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, w uint8) {
		ps := newPartScannerSize(bytes.NewReader(b), "B", 16+int(w))
		var out int64
		for i := 0; i < len(b)+2; i++ {
			if _, err := ps.next(); err != nil {
				break
			}
			n, err := ps.copyPart(io.Discard)
			out += n
			if err != nil {
				break
			}
		}
		if out > int64(len(b)) {
			t.Fatalf("%d bytes out of %d in", out, len(b))
		}
	})
}
