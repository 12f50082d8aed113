#!/bin/sh
# Regenerates testdata/fixtures: small compressed frames made by other
# encoders, each checked at generation time against the original pixels
# with the same tool's decoder. The generator is TestGenerateFixtures in
# gen_test.go; this script only installs its tools and runs it.
#
# Tools (Debian bookworm packages), and what each made:
#   dcmtk 3.6.7        dcmcrle (RLE), dcmcjpeg (JPEG lossless +el +sv 1..7,
#                      +e1, +pt; baseline +eb; extended 12-bit +ee),
#                      dcmcjpls (JPEG-LS, all interleave modes, near-lossless);
#                      dcmdrle/dcmdjpeg/dcmdjpls verify. dcmdjpeg also checks
#                      the restart-interval streams from the test encoder.
#   libgdcm-tools 3.0  gdcmconv -R/-J/-L/-K (RLE, JPEG lossless, JPEG-LS, J2K)
#   libopenjp2-tools   opj_compress/opj_decompress (J2K, JP2, tiles, lossy)
#   openjph-tools 0.9  ojph_compress/ojph_expand (HTJ2K)
set -eu
cd "$(dirname "$0")/.."
if ! command -v dcmcjpeg >/dev/null || ! command -v gdcmconv >/dev/null ||
	! command -v opj_compress >/dev/null || ! command -v ojph_compress >/dev/null; then
	apt-get install -y dcmtk libgdcm-tools libopenjp2-tools openjph-tools
fi
go test -count=1 -run '^TestGenerateFixtures$' . -gen
ls -l testdata/fixtures | awk 'NR > 1 && $5 > 50000 { print "too big:", $0; bad = 1 } END { exit bad }'
