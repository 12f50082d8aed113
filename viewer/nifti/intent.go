package nifti

import (
	"errors"
	"fmt"
)

// ErrUnsupported is wrapped by every refusal of a file that is valid NIfTI
// but holds something this package does not show as a volume: a CIFTI
// matrix, a surface, a tensor or quaternion field, complex or RGB voxels,
// a .hdr/.img pair. A caller tells these apart from damage with
// errors.Is(err, ErrUnsupported) (or errors.As with *UnsupportedError):
// errors that do not wrap it mean the file is damaged, not NIfTI at all, or
// could not be read.
var ErrUnsupported = errors.New("unsupported NIfTI content")

// UnsupportedError is the refusal of a well-formed file whose content is
// not a volume image this package can show. Its message says what the file
// holds and what would open it.
type UnsupportedError struct {
	Intent int    // the header's intent_code (0 when the refusal is not about it)
	Reason string // what the file holds and what would be needed
}

func (e *UnsupportedError) Error() string { return e.Reason }

// Unwrap makes errors.Is(err, ErrUnsupported) hold.
func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

func unsupported(intent int, format string, args ...any) error {
	return &UnsupportedError{Intent: intent, Reason: fmt.Sprintf(format, args...)}
}

// NIfTI intent codes (nifti1.h, nifti2.h, FSL's additions and CIFTI-2's
// connectivity codes) that change how the reader treats a file. Statistic
// codes (2–24), ESTIMATE, LABEL, NEURONAME, DIMLESS, TIME_SERIES and SHAPE
// are scalar images and need no special case.
const (
	IntentNone       = 0
	IntentLabel      = 1002
	IntentGenMatrix  = 1004
	IntentSymMatrix  = 1005
	IntentDispVect   = 1006
	IntentVector     = 1007
	IntentPointSet   = 1008
	IntentTriangle   = 1009
	IntentQuaternion = 1010
	IntentRGBVector  = 2003
	IntentRGBAVector = 2004

	// CIFTI-2 files (NIfTI-2 with an XML extension) use 3000–3099.
	IntentCIFTIFirst = 3000
	IntentCIFTILast  = 3099
)

// intentNames are the names nibabel and nifti1.h give the codes, without
// the NIFTI_INTENT_ prefix; ciftiKinds the CIFTI-2 file kinds.
var intentNames = map[int]string{
	0: "NONE", 2: "CORREL", 3: "TTEST", 4: "FTEST", 5: "ZSCORE", 6: "CHISQ",
	7: "BETA", 8: "BINOM", 9: "GAMMA", 10: "POISSON", 11: "NORMAL",
	12: "FTEST_NONC", 13: "CHISQ_NONC", 14: "LOGISTIC", 15: "LAPLACE",
	16: "UNIFORM", 17: "TTEST_NONC", 18: "WEIBULL", 19: "CHI", 20: "INVGAUSS",
	21: "EXTVAL", 22: "PVAL", 23: "LOGPVAL", 24: "LOG10PVAL",
	1001: "ESTIMATE", 1002: "LABEL", 1003: "NEURONAME", 1004: "GENMATRIX",
	1005: "SYMMATRIX", 1006: "DISPVECT", 1007: "VECTOR", 1008: "POINTSET",
	1009: "TRIANGLE", 1010: "QUATERNION", 1011: "DIMLESS",
	2001: "TIME_SERIES", 2002: "NODE_INDEX", 2003: "RGB_VECTOR",
	2004: "RGBA_VECTOR", 2005: "SHAPE",
	2006: "FSL_FNIRT_DISPLACEMENT_FIELD", 2007: "FSL_CUBIC_SPLINE_COEFFICIENTS",
	2008: "FSL_DCT_COEFFICIENTS", 2009: "FSL_QUADRATIC_SPLINE_COEFFICIENTS",
	2016: "FSL_TOPUP_CUBIC_SPLINE_COEFFICIENTS",
	2017: "FSL_TOPUP_QUADRATIC_SPLINE_COEFFICIENTS", 2018: "FSL_TOPUP_FIELD",
	3000: "CONNECTIVITY_UNKNOWN", 3001: "CONNECTIVITY_DENSE",
	3002: "CONNECTIVITY_DENSE_SERIES", 3003: "CONNECTIVITY_PARCELLATED",
	3004: "CONNECTIVITY_PARCELLATED_SERIES", 3005: "CONNECTIVITY_DENSE_TRAJECTORY",
	3006: "CONNECTIVITY_DENSE_SCALARS", 3007: "CONNECTIVITY_DENSE_LABELS",
	3008: "CONNECTIVITY_PARCELLATED_SCALAR", 3009: "CONNECTIVITY_PARCELLATED_DENSE",
	3010: "CONNECTIVITY_DENSE_PARCELLATED",
	3011: "CONNECTIVITY_PARCELLATED_PARCELLATED_SERIES",
	3012: "CONNECTIVITY_PARCELLATED_PARCELLATED_SCALAR",
}

var ciftiKinds = map[int]string{
	3001: ".dconn.nii", 3002: ".dtseries.nii", 3003: ".pconn.nii",
	3004: ".ptseries.nii", 3006: ".dscalar.nii", 3007: ".dlabel.nii",
	3008: ".pscalar.nii", 3009: ".pdconn.nii", 3010: ".dpconn.nii",
	3011: ".pconnseries.nii", 3012: ".pconnscalar.nii",
}

// Intent is the intent code in words, e.g. "intent 1007 VECTOR"; a name
// the file gives in intent_name follows in quotes.
func (h *Header) Intent() string { return intentString(h.IntentCode, h.IntentName) }

func intentString(code int, name string) string {
	s := fmt.Sprintf("intent %d", code)
	if n, ok := intentNames[code]; ok {
		s += " " + n
	}
	if name != "" {
		s += fmt.Sprintf(" %q", name)
	}
	return s
}

// components is dim[5], the number of values per voxel for the vector and
// matrix intents (1 when not in use).
func (h *Header) components() int64 {
	if h.Dim[0] >= 5 && h.Dim[5] > 1 {
		return h.Dim[5]
	}
	return 1
}

// checkIntent refuses files whose voxels are not an image (CIFTI matrices,
// surfaces, per-voxel matrices and rotations) and returns warnings for
// those that can be shown in part (one component of a vector field: vol is
// the volume being read, see ReadVolume) or whose values are not
// intensities. Statistic maps, labels and plain images pass silently.
func (h *Header) checkIntent(vol int64) (warns []string, err error) {
	code := h.IntentCode
	in := intentString(code, h.IntentName)
	const cifti = "not a volume image; open it with a CIFTI tool (e.g. Connectome Workbench)"
	switch {
	case code >= IntentCIFTIFirst && code <= IntentCIFTILast:
		if k, ok := ciftiKinds[code]; ok {
			in += ", " + k
		}
		return nil, unsupported(code, "CIFTI file (%s): %s", in, cifti)
	case code == IntentPointSet:
		return nil, unsupported(code, "point set (%s): the data are coordinates of points, not voxels on a grid; open it with a surface tool (e.g. Connectome Workbench)", in)
	case code == IntentTriangle:
		return nil, unsupported(code, "triangle list (%s): the data are mesh faces, not voxels on a grid; open it with a surface tool (e.g. Connectome Workbench)", in)
	case code == IntentQuaternion:
		return nil, unsupported(code, "quaternion field (%s): each voxel is a rotation, not an intensity, so it is not a volume image; open it with the tool that made it", in)
	case (code == IntentGenMatrix || code == IntentSymMatrix) && h.components() > 1:
		return nil, unsupported(code, "matrix field (%s, %d values per voxel, e.g. a diffusion tensor): not a scalar volume image; open it with a tool for tensor images (e.g. FSL or MRtrix)", in, h.components())
	}
	if h.ciftiShaped() {
		return nil, unsupported(code, "data lie in dims 5–7 (%s) over a single voxel, as in a CIFTI file (%s): %s", dimString(h), in, cifti)
	}
	switch {
	case h.isVectorField():
		if n := h.components(); n > 1 {
			// Volumes run through dim 4 (time) first, then dim 5.
			t4 := int64(1)
			if h.Dim[0] >= 4 && h.Dim[4] > 1 {
				t4 = h.Dim[4]
			}
			warns = append(warns, fmt.Sprintf("vector field (%s) with %d components per voxel: loaded component %d only", in, n, (vol/t4)%n+1))
		}
	case code >= 2006 && code <= 2018:
		warns = append(warns, fmt.Sprintf("FSL warp file (%s): the voxels are displacements or coefficients, not image intensities", in))
	case intentNames[code] == "":
		warns = append(warns, fmt.Sprintf("unknown intent code %d: read as an image", code))
	}
	return warns, nil
}

// isVectorField: dim 5 holds the components of a vector at each voxel.
func (h *Header) isVectorField() bool {
	switch h.IntentCode {
	case IntentDispVect, IntentVector, IntentRGBVector, IntentRGBAVector:
		return h.components() > 1
	}
	return false
}

// ciftiShaped reports the CIFTI layout without the CIFTI intent code: a
// one-voxel grid (dims 1–3 all 1; CIFTI also sets dim 4 to 1) with data in
// dims 5–7. Read would otherwise show it as 1×1×1 volumes. A one-voxel
// grid with only a time axis is still read: it is a time series.
func (h *Header) ciftiShaped() bool {
	if h.Dim[0] < 5 || h.Dim[0] > 7 {
		return false
	}
	for i := 1; i <= 3; i++ {
		if h.Dim[i] > 1 {
			return false
		}
	}
	for i := int64(5); i <= h.Dim[0]; i++ {
		if h.Dim[i] > 1 {
			return true
		}
	}
	return false
}

// CheckVolume says, from the header alone, whether Read would refuse the
// file for what it holds rather than for damage: it returns an error
// wrapping ErrUnsupported (a *UnsupportedError) for a .hdr/.img pair, a
// non-image intent (CIFTI, surfaces, per-voxel matrices) or a datatype that
// is not a scalar, and nil otherwise. It reads nothing, so a file list can
// sort out what cannot be opened without decompressing any image.
func (h *Header) CheckVolume() error {
	if err := h.checkSingleFile(); err != nil {
		return err
	}
	if _, err := h.checkIntent(0); err != nil {
		return err
	}
	if h.Datatype.Size() == 0 {
		if _, known := datatypeNames[h.Datatype]; known {
			return unsupportedDatatype(h.Datatype)
		}
	}
	return nil
}

func unsupportedDatatype(d Datatype) error {
	return unsupported(0, "datatype %v (%d) is not supported: only scalar integer and float images can be loaded", d, int16(d))
}
