package codec

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The committed fixtures in testdata/fixtures were made by
// testdata/gen.sh, which runs this test with -gen. It needs Debian's dcmtk,
// libgdcm-tools, libopenjp2-tools and openjph-tools; the ordinary test run
// needs none of them.
var genFixtures = flag.Bool("gen", false, "regenerate testdata/fixtures with dcmtk, gdcm, OpenJPEG and OpenJPH tools")

const fixtureDir = "testdata/fixtures"

// fixture is one entry of testdata/fixtures/manifest.json.
type fixture struct {
	Name  string `json:"name"`
	TS    string `json:"ts"`
	Frame Frame  `json:"frame"`
	Tool  string `json:"tool"`
	Data  string `json:"data"`           // compressed frame
	Want  string `json:"want,omitempty"` // expected native bytes
	// MaxDiff is the largest per-sample difference allowed from Want: 0
	// for lossless; DCT decoders legitimately differ from libjpeg by a
	// little.
	MaxDiff int `json:"maxdiff,omitempty"`
	// Unsupported fixtures must fail with ErrUnsupported.
	Unsupported bool `json:"unsupported,omitempty"`
	// KnownIssue, when set, says why the fixture is kept but not
	// compared: it must still decode without error.
	KnownIssue string `json:"known_issue,omitempty"`
}

// smoothRGB is a colour image lossy coders can reproduce closely.
func smoothRGB() testImage {
	im := makeImage("rgbsmooth", 32, 24, 3, 8, 8, false, 9)
	for i := range im.samples {
		p, c := i/3, i%3
		x, y := p%32, p/32
		im.samples[i] = int32([3]int{x * 8, y * 10, 255 - (x+y)*4}[c])
	}
	return im
}

// writeNativeDICOM writes a minimal Explicit VR Little Endian Secondary
// Capture file for the command-line encoders to read.
func writeNativeDICOM(path string, im testImage) error {
	var ds bytes.Buffer
	el := func(b *bytes.Buffer, g, e uint16, vr string, val []byte) {
		if len(val)%2 == 1 {
			pad := byte(' ')
			if vr == "UI" || vr == "OB" {
				pad = 0
			}
			val = append(val, pad)
		}
		binary.Write(b, binary.LittleEndian, [2]uint16{g, e})
		b.WriteString(vr)
		switch vr {
		case "OB", "OW", "UN", "SQ", "UT":
			b.Write([]byte{0, 0})
			binary.Write(b, binary.LittleEndian, uint32(len(val)))
		default:
			binary.Write(b, binary.LittleEndian, uint16(len(val)))
		}
		b.Write(val)
	}
	us := func(v int) []byte { return []byte{byte(v), byte(v >> 8)} }
	ul := func(v int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }
	const sc = "1.2.840.10008.5.1.4.1.1.7"
	uid := "1.2.826.0.1.3680043.8.498.1." + fmt.Sprint(len(im.samples))
	var meta bytes.Buffer
	el(&meta, 2, 1, "OB", []byte{0, 1})
	el(&meta, 2, 2, "UI", []byte(sc))
	el(&meta, 2, 3, "UI", []byte(uid))
	el(&meta, 2, 0x10, "UI", []byte(TSExplicitVRLittleEndian))
	el(&meta, 2, 0x12, "UI", []byte("1.2.826.0.1.3680043.8.498.2"))
	f := im.f
	el(&ds, 8, 0x16, "UI", []byte(sc))
	el(&ds, 8, 0x18, "UI", []byte(uid))
	el(&ds, 8, 0x60, "CS", []byte("OT"))
	el(&ds, 0x20, 0x0D, "UI", []byte(uid+".1"))
	el(&ds, 0x20, 0x0E, "UI", []byte(uid+".2"))
	el(&ds, 0x28, 2, "US", us(f.SamplesPerPixel))
	el(&ds, 0x28, 4, "CS", []byte(f.PhotometricInterpretation))
	if f.SamplesPerPixel == 3 {
		el(&ds, 0x28, 6, "US", us(0))
	}
	el(&ds, 0x28, 0x10, "US", us(f.Rows))
	el(&ds, 0x28, 0x11, "US", us(f.Cols))
	el(&ds, 0x28, 0x100, "US", us(f.BitsAllocated))
	el(&ds, 0x28, 0x101, "US", us(f.BitsStored))
	el(&ds, 0x28, 0x102, "US", us(f.BitsStored-1))
	el(&ds, 0x28, 0x103, "US", us(f.PixelRepresentation))
	vr := "OW"
	if f.BitsAllocated == 8 {
		vr = "OB"
	}
	el(&ds, 0x7FE0, 0x10, vr, im.native())
	var out bytes.Buffer
	out.Write(make([]byte, 128))
	out.WriteString("DICM")
	el(&out, 2, 0, "UL", ul(meta.Len()))
	out.Write(meta.Bytes())
	out.Write(ds.Bytes())
	return os.WriteFile(path, out.Bytes(), 0o644)
}

func TestGenerateFixtures(t *testing.T) {
	if !*genFixtures {
		t.Skip("run testdata/gen.sh (go test -run TestGenerateFixtures -gen) to regenerate fixtures")
	}
	tmp := t.TempDir()
	if err := os.RemoveAll(fixtureDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(fixtureDir, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	imgs := map[string]testImage{}
	for _, im := range append(standardImages(), smoothRGB()) {
		imgs[im.name] = im
		if err := writeNativeDICOM(filepath.Join(tmp, im.name+".dcm"), im); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(fixtureDir, im.name+".raw"), im.native(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var manifest []fixture
	add := func(fx fixture, data, want []byte) {
		t.Helper()
		fx.Data = fx.Name + ".bin"
		if len(data) > 50000 {
			t.Fatalf("%s: fixture of %d bytes is too big", fx.Name, len(data))
		}
		if err := os.WriteFile(filepath.Join(fixtureDir, fx.Data), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if want != nil {
			fx.Want = fx.Name + ".want"
			if err := os.WriteFile(filepath.Join(fixtureDir, fx.Want), want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		manifest = append(manifest, fx)
	}
	// viaDICOM runs a DICOM-to-DICOM encoder, keeps the compressed frame,
	// and checks the tool's own decoder gives back the original, so the
	// known answer is the tool's answer as well as ours.
	viaDICOM := func(name, img string, lossless bool, maxdiff int, tool string, args ...string) {
		t.Helper()
		im := imgs[img]
		in := filepath.Join(tmp, img+".dcm")
		enc := filepath.Join(tmp, name+".dcm")
		cmdArgs := append(append([]string{}, args...), in, enc)
		if tool == "gdcmconv" {
			cmdArgs = append(append([]string{}, args...), "-i", in, "-o", enc)
		}
		run(tool, cmdArgs...)
		df := readDICOM(t, enc)
		dec := filepath.Join(tmp, name+".dec.dcm")
		switch tool {
		case "gdcmconv":
			run("gdcmconv", "-w", "-i", enc, "-o", dec)
		case "dcmcrle":
			run("dcmdrle", enc, dec)
		case "dcmcjpls":
			run("dcmdjpls", enc, dec)
		default:
			// Lossless colour must come back untouched; lossy colour as
			// RGB, the way Decode delivers it.
			if lossless {
				run("dcmdjpeg", "+cn", enc, dec)
			} else {
				run("dcmdjpeg", enc, dec)
			}
		}
		back := readDICOM(t, dec).data[:len(im.native())]
		var want []byte
		if lossless {
			if d := firstDiff(back, im.native()); d != "" {
				t.Fatalf("%s: %s does not round-trip: %s", name, tool, d)
			}
		} else {
			want = back
		}
		fx := fixture{Name: name, TS: df.ts, Frame: df.frame, Tool: tool + " " + strings.Join(args, " "), MaxDiff: maxdiff}
		if want == nil {
			fx.Want = img + ".raw"
		}
		add(fx, df.data, want)
		if want == nil {
			manifest[len(manifest)-1].Want = img + ".raw"
		}
	}

	// RLE: DCMTK and GDCM encoders.
	for _, img := range []string{"u16", "u12", "s16", "s12", "u8", "u8b", "rgb8", "rgb16"} {
		viaDICOM("rle_"+img+"_dcmtk", img, true, 0, "dcmcrle")
	}
	// GDCM's RLE coder asserts on colour images whose size is odd.
	for _, img := range []string{"u12", "s16", "rgbsmooth"} {
		viaDICOM("rle_"+img+"_gdcm", img, true, 0, "gdcmconv", "-R")
	}
	// JPEG lossless: every predictor, point transform, other encoders.
	for sv := 1; sv <= 7; sv++ {
		viaDICOM(fmt.Sprintf("jll_sv%d_u16_dcmtk", sv), "u16", true, 0, "dcmcjpeg", "+el", "+sv", fmt.Sprint(sv))
		viaDICOM(fmt.Sprintf("jll_sv%d_rgb8_dcmtk", sv), "rgb8", true, 0, "dcmcjpeg", "+el", "+sv", fmt.Sprint(sv))
	}
	for _, img := range []string{"u12", "s16", "s12", "u8", "u8b", "rgb16"} {
		viaDICOM("jll_sv1_"+img+"_dcmtk", img, true, 0, "dcmcjpeg", "+e1")
	}
	viaDICOM("jll_sv5_pt3_u12_dcmtk", "u12", false, 0, "dcmcjpeg", "+el", "+sv", "5", "+pt", "3")
	for _, img := range []string{"u12", "s16", "rgb8"} {
		viaDICOM("jll_"+img+"_gdcm", img, true, 0, "gdcmconv", "-J")
	}
	// Restart intervals: no packaged encoder writes them in lossless JPEG,
	// so these come from the test encoder and are checked against DCMTK's
	// decoder (IJG lossless code, independent of ours).
	for _, c := range []struct {
		img string
		o   llOpts
	}{
		{"u12", llOpts{precision: 12, pred: 4, ri: 61 * 5}},
		{"u16", llOpts{precision: 16, pred: 7, ri: 64}},
		{"rgb8", llOpts{precision: 8, pred: 6, ri: 31 * 2, interleaved: true}},
	} {
		im := imgs[c.img]
		stream, want := encodeLossless(im, c.o)
		name := "jll_" + c.o.String() + "_" + c.img + "_go"
		enc := filepath.Join(tmp, name+".dcm")
		if err := writeEncapsulatedDICOM(enc, im, TSJPEGLossless, stream); err != nil {
			t.Fatal(err)
		}
		dec := filepath.Join(tmp, name+".dec.dcm")
		run("dcmdjpeg", "+cn", enc, dec)
		if d := firstDiff(readDICOM(t, dec).data[:len(want)], want); d != "" {
			t.Fatalf("%s: DCMTK decodes the test encoder's stream differently: %s", name, d)
		}
		add(fixture{Name: name, TS: TSJPEGLossless, Frame: im.f, Tool: "test encoder (encodeLossless " + c.o.String() + "), verified with dcmdjpeg", Want: c.img + ".raw"}, stream, nil)
	}
	// JPEG-LS: DCMTK's and GDCM's CharLS builds, every interleave mode.
	for _, img := range []string{"u16", "u12", "s16", "s12", "u8", "u8b", "rgb8", "rgb16"} {
		viaDICOM("jls_"+img+"_dcmtk", img, true, 0, "dcmcjpls")
	}
	viaDICOM("jls_ilvnone_rgb8_dcmtk", "rgb8", true, 0, "dcmcjpls", "+in")
	viaDICOM("jls_ilvsample_rgb8_dcmtk", "rgb8", true, 0, "dcmcjpls", "+is")
	viaDICOM("jls_near2_u12_dcmtk", "u12", false, 0, "dcmcjpls", "+en", "+md", "2")
	for _, img := range []string{"u12", "rgb8"} {
		viaDICOM("jls_"+img+"_gdcm", img, true, 0, "gdcmconv", "-L")
	}
	// JPEG 2000 by GDCM (OpenJPEG inside) and by opj_compress from raw.
	for _, img := range []string{"u12", "s16", "rgb8"} {
		viaDICOM("j2k_"+img+"_gdcm", img, true, 0, "gdcmconv", "-K")
	}
	opj := func(name, img string, extra ...string) {
		im := imgs[img]
		f := im.f
		raw := filepath.Join(tmp, img+".rawl")
		// opj_compress reads samples of more than 8 bits as 16-bit
		// little-endian words, 8-bit samples as bytes, one component
		// after another.
		if err := os.WriteFile(raw, planar(im.native(), f), 0o644); err != nil {
			t.Fatal(err)
		}
		ext := ".j2k"
		for _, e := range extra {
			if e == "jp2" {
				ext = ".jp2"
			}
		}
		out := filepath.Join(tmp, name+ext)
		sg := "u"
		if f.PixelRepresentation == 1 {
			sg = "s"
		}
		// Three resolutions: the default six need images of 32+ pixels.
		args := []string{"-i", raw, "-o", out, "-F", fmt.Sprintf("%d,%d,%d,%d,%s", f.Cols, f.Rows, f.SamplesPerPixel, f.BitsStored, sg), "-n", "3"}
		lossy := false
		for _, e := range extra {
			if e != "jp2" {
				args = append(args, e)
			}
			if e == "-r" {
				lossy = true
			}
		}
		run("opj_compress", args...)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		back := filepath.Join(tmp, name+".out.rawl")
		run("opj_decompress", "-i", out, "-o", back)
		got, err := os.ReadFile(back)
		if err != nil {
			t.Fatal(err)
		}
		got = interleave(got, f)
		ts := TSJPEG2000Lossless
		var want []byte
		if lossy {
			ts, want = TSJPEG2000, got
		} else if d := firstDiff(lowBits(got, f), lowBits(im.native(), f)); d != "" {
			t.Fatalf("%s: opj_decompress disagrees with the original: %s", name, d)
		}
		fx := fixture{Name: name, TS: ts, Frame: f, Tool: "opj_compress " + strings.Join(args[4:], " ")}
		add(fx, data, want)
		if want == nil {
			manifest[len(manifest)-1].Want = img + ".raw"
		}
	}
	for _, img := range []string{"u16", "u12", "s16", "s12", "u8", "rgb8", "rgb16"} {
		opj("j2k_"+img+"_opj", img)
	}
	opj("j2k_tiles_u16_opj", "u16", "-t", "16,16")
	opj("j2k_rpcl_sop_u12_opj", "u12", "-p", "RPCL", "-SOP", "-EPH")
	opj("jp2_u12_opj", "u12", "jp2")
	opj("j2k_lossy_rgbsmooth_opj", "rgbsmooth", "-r", "10", "-I")
	// HTJ2K from OpenJPH (OpenJPEG 2.5 decodes it, cannot encode it).
	ojph := func(name, img string) {
		im := imgs[img]
		f := im.f
		in := filepath.Join(tmp, img+".yuv")
		nat := im.native()
		if err := os.WriteFile(in, nat, 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(tmp, name+".j2c")
		sg := "false"
		if f.PixelRepresentation == 1 {
			sg = "true"
		}
		if f.SamplesPerPixel != 1 {
			t.Fatal("ojph raw input here is single component")
		}
		args := []string{"-i", in, "-o", out, "-reversible", "true", "-dims", fmt.Sprintf("{%d,%d}", f.Cols, f.Rows),
			"-num_comps", "1", "-num_decomps", "3", "-signed", sg, "-bit_depth", fmt.Sprint(f.BitsStored), "-downsamp", "{1,1}"}
		run("ojph_compress", args...)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		back := filepath.Join(tmp, name+".out.yuv")
		run("ojph_expand", "-i", out, "-o", back)
		got, err := os.ReadFile(back)
		if err != nil {
			t.Fatal(err)
		}
		if d := firstDiff(lowBits(got, f), lowBits(nat, f)); d != "" {
			t.Fatalf("%s: ojph_expand disagrees with the original: %s", name, d)
		}
		fx := fixture{Name: name, TS: TSHTJ2KLossless, Frame: f, Tool: "ojph_compress " + strings.Join(args[4:], " "), Want: img + ".raw"}
		if f.PixelRepresentation == 1 {
			fx.KnownIssue = "signed HTJ2K from OpenJPH 0.9.0 decodes to different values in OpenJPEG 2.5.0 (its own opj_decompress agrees with Decode; ojph_expand with the original)"
		}
		add(fx, data, nil)
	}
	for _, img := range []string{"u16", "u12", "s16", "u8b"} {
		ojph("htj2k_"+img+"_ojph", img)
	}
	// DCT JPEG: libjpeg (via DCMTK) is the reference; Go's decoder may
	// round and upsample differently.
	// Baseline decodes as libjpeg does (IJG's integer IDCT, fancy
	// up-sampling, integer colour tables), so DCMTK's IJG 6b output must be
	// matched exactly.
	viaDICOM("jpeg_base_u8b_dcmtk", "u8b", false, 0, "dcmcjpeg", "+eb", "+q", "95")
	viaDICOM("jpeg_base_444_rgbsmooth_dcmtk", "rgbsmooth", false, 0, "dcmcjpeg", "+eb", "+q", "95", "+s4")
	viaDICOM("jpeg_base_422_rgbsmooth_dcmtk", "rgbsmooth", false, 0, "dcmcjpeg", "+eb", "+q", "95")
	viaDICOM("jpeg_base_rgb_rgbsmooth_dcmtk", "rgbsmooth", false, 0, "dcmcjpeg", "+eb", "+q", "95", "+cr")
	// DCMTK's dcmdjpeg decodes with IJG 6b's 12-bit build, as Decode does
	// (GDCM's copy of the same code), so the result must be identical.
	viaDICOM("jpeg_ext12_u12_dcmtk", "u12", false, 0, "dcmcjpeg", "+ee")

	js, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fixtureDir, "manifest.json"), append(js, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeEncapsulatedDICOM wraps one compressed frame so DCMTK can decode it.
func writeEncapsulatedDICOM(path string, im testImage, ts string, frame []byte) error {
	if err := writeNativeDICOM(path, im); err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// Swap the transfer syntax in the meta header (same length for .57
	// versus .1.2.1 is not guaranteed, so rebuild from the pieces).
	nat := im.native()
	i := bytes.Index(b, []byte{0xE0, 0x7F, 0x10, 0x00})
	if i < 0 || len(b)-i != 12+len(nat)+len(nat)%2 {
		return fmt.Errorf("cannot find PixelData")
	}
	body := append([]byte(nil), b[:i]...)
	var px bytes.Buffer
	px.Write([]byte{0xE0, 0x7F, 0x10, 0x00, 'O', 'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF})
	item := func(data []byte) {
		px.Write([]byte{0xFE, 0xFF, 0x00, 0xE0})
		binary.Write(&px, binary.LittleEndian, uint32(len(data)+len(data)%2))
		px.Write(data)
		if len(data)%2 == 1 {
			px.WriteByte(0)
		}
	}
	item(nil)
	item(frame)
	px.Write([]byte{0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0})
	body = append(body, px.Bytes()...)
	old := []byte(TSExplicitVRLittleEndian + "\x00")
	newTS := []byte(ts)
	if len(newTS)%2 == 1 {
		newTS = append(newTS, 0)
	}
	j := bytes.Index(body, old)
	if j < 0 {
		return fmt.Errorf("cannot find transfer syntax")
	}
	delta := len(newTS) - len(old)
	// Patch the element length (2 bytes before the value) and the meta
	// group length (value of (0002,0000) at offset 140).
	binary.LittleEndian.PutUint16(body[j-2:], uint16(len(newTS)))
	gl := binary.LittleEndian.Uint32(body[140:])
	binary.LittleEndian.PutUint32(body[140:], uint32(int(gl)+delta))
	body = append(body[:j], append(newTS, body[j+len(old):]...)...)
	return os.WriteFile(path, body, 0o644)
}

// lowBits masks 16-bit samples to BitsStored: the command-line decoders
// write signed samples narrower than 16 bits without sign extension.
func lowBits(b []byte, f Frame) []byte {
	if f.BitsAllocated != 16 {
		return b
	}
	out := append([]byte(nil), b...)
	m := uint16(1)<<f.BitsStored - 1
	for i := 0; i+1 < len(out); i += 2 {
		v := binary.LittleEndian.Uint16(out[i:]) & m
		binary.LittleEndian.PutUint16(out[i:], v)
	}
	return out
}

// planar and interleave convert between the pixel-interleaved layout and
// one plane per component.
func planar(b []byte, f Frame) []byte {
	return regroup(b, f, true)
}

func interleave(b []byte, f Frame) []byte {
	return regroup(b, f, false)
}

func regroup(b []byte, f Frame, toPlanar bool) []byte {
	nc, bps := f.SamplesPerPixel, f.BitsAllocated/8
	npix := f.Rows * f.Cols
	if nc == 1 || len(b) != npix*nc*bps {
		return b
	}
	out := make([]byte, len(b))
	for p := 0; p < npix; p++ {
		for c := 0; c < nc; c++ {
			i, j := (p*nc+c)*bps, (c*npix+p)*bps
			if toPlanar {
				copy(out[j:j+bps], b[i:i+bps])
			} else {
				copy(out[i:i+bps], b[j:j+bps])
			}
		}
	}
	return out
}
