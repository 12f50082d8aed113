package labelstudio

import "testing"

// FuzzPull: any bytes as a Label Studio export give tasks or an error,
// and pulling them gives slices or an error — never a panic or an
// allocation the tasks' own sizes do not justify.
func FuzzPull(f *testing.F) {
	f.Add([]byte(`[{"id":1,"data":{"image":"/data/upload/3/abcdef01-case_0001_axial_0000.png","delineate":{"delineate_meta":1,"case":"case_0001","plane":"axial","slice":0,"slices":1,"width":3,"height":2,"dims":[3,2,1],"col_axis":0,"row_axis":1,"normal_axis":2,"labels":{"liver":1}}},"annotations":[{"completed_by":3,"result":[{"from_name":"tag","to_name":"image","type":"brushlabels","original_width":3,"original_height":2,"value":{"format":"rle","rle":[0,0,0,24,57,27,252,96,17,255,219,0,143,252],"brushlabels":["liver"]}}]}]}]`))
	f.Add([]byte(`{"data":{"image":"x"}}`))
	f.Add([]byte(`[{"data":{"image":"x"},"annotations":[{"result":[{"type":"brushlabels","value":{"rle":"iVBORw0KGgo="}}]}]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tasks, err := ParseTasks(b)
		if err != nil {
			return
		}
		for i := range tasks {
			if m := tasks[i].meta(); m != nil && m.Width*m.Height > 1<<20 {
				return // a real slice, but too large to fuzz quickly
			}
		}
		got, _, err := Pull(tasks, PullOptions{})
		if err != nil {
			return
		}
		for _, rv := range got {
			n := rv.Dims[0] * rv.Dims[1] * rv.Dims[2]
			if n > 0 && n < 1<<22 {
				if err := rv.Apply(make([]uint16, n)); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
