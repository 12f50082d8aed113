package pacs

import (
	"bytes"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"
)

// The part scanner gives what mime/multipart gives, whatever the part
// sizes and however the delimiter falls across read windows.
func TestPartScannerMatchesMimeMultipart(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		var want [][]byte
		for i := 0; i < rng.IntN(5); i++ {
			p := make([]byte, rng.IntN(3000))
			for j := range p {
				p[j] = "\r\n-ab"[rng.IntN(5)] // boundary-like bytes
			}
			w, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/dicom"}})
			w.Write(p)
			want = append(want, p)
		}
		mw.Close()
		body := b.Bytes()
		if trial%3 == 0 {
			body = append([]byte("preamble\r\n"), body...)
		}
		if trial%5 == 0 {
			body = bytes.TrimSuffix(body, []byte("\r\n"))
		}
		size := []int{16, 64, 100, 4096, 1 << 20}[trial%5]
		ps := newPartScannerSize(bytes.NewReader(body), mw.Boundary(), size)
		for i := 0; ; i++ {
			h, err := ps.next()
			if err == io.EOF {
				if i != len(want) {
					t.Fatalf("trial %d: %d parts, want %d", trial, i, len(want))
				}
				break
			}
			if err != nil {
				t.Fatalf("trial %d part %d: %v", trial, i, err)
			}
			if h.Get("Content-Type") != "application/dicom" {
				t.Fatalf("trial %d: header %v", trial, h)
			}
			var got bytes.Buffer
			if _, err := ps.copyPart(&got); err != nil {
				t.Fatalf("trial %d part %d: %v", trial, i, err)
			}
			if !bytes.Equal(got.Bytes(), want[i]) {
				t.Fatalf("trial %d part %d (window %d): %d bytes, want %d", trial, i, size, got.Len(), len(want[i]))
			}
		}
	}
}

func TestPartScannerTruncated(t *testing.T) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/dicom"}})
	w.Write(bytes.Repeat([]byte("x"), 5000))
	mw.Close()
	for _, cut := range []int{10, 60, 200, 3000, b.Len() - 10} {
		ps := newPartScannerSize(bytes.NewReader(b.Bytes()[:cut]), mw.Boundary(), 64)
		_, err := ps.next()
		if err == nil {
			_, err = ps.copyPart(io.Discard)
		}
		if err == nil {
			_, err = ps.next()
		}
		if err == nil || err == io.EOF {
			t.Errorf("cut at %d: %v, want an error", cut, err)
		}
	}
	ps := newPartScanner(strings.NewReader("--B\r\nContent-Type: a\r\n\r\nxy\r\n--Bogus\r\n"), "B")
	ps.next()
	ps.copyPart(io.Discard)
	if _, err := ps.next(); err == nil {
		t.Error("a line that only starts like the boundary was taken for it")
	}
}
