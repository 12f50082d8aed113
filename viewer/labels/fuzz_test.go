package labels

import (
	"bytes"
	"reflect"
	"sort"
	"testing"

	"delineate/viewer"
)

// FuzzReadTable: any input parses or fails without panicking; what parses is
// a valid table (sorted, unique ids in 1..65535) that survives a JSON round
// trip, and an ITK-SNAP one whenever the writer accepts it.
func FuzzReadTable(f *testing.F) {
	for _, s := range []string{
		itksnapFixture, slicerFixture,
		`{"1": "spleen", "2": "kidney"}`,
		`[{"id": 1, "name": "a", "color": [1,2,3,4]}, {"id": 2, "colour": "#010203"}]`,
		"1 1 2 3 0.3 1 0 \"x\"\"y\"\n", "0 Background 0 0 0 0\n", "\xef\xbb\xbf# c\n3 n 1 2 3 4\n", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Parse(data)
		if err != nil {
			if tab != nil {
				t.Fatalf("table and error %v", err)
			}
			return
		}
		if !sort.SliceIsSorted(tab.Labels, func(i, j int) bool { return tab.Labels[i].ID < tab.Labels[j].ID }) {
			t.Fatalf("unsorted %+v", tab.Labels)
		}
		for i, l := range tab.Labels {
			if l.ID < 1 || l.ID > viewer.MaxLabelID || (i > 0 && tab.Labels[i-1].ID == l.ID) {
				t.Fatalf("bad id in %+v", tab.Labels)
			}
		}
		var buf bytes.Buffer
		if err := WriteJSON(&buf, tab); err != nil {
			t.Fatal(err)
		}
		back, err := Parse(buf.Bytes())
		if err != nil {
			t.Fatalf("JSON round trip: %v\n%s", err, buf.String())
		}
		if !equalTables(back, tab) {
			t.Fatalf("JSON round trip\n got %+v\nwant %+v", back.Labels, tab.Labels)
		}
		buf.Reset()
		if WriteITKSNAP(&buf, tab) == nil {
			back, err := Parse(buf.Bytes())
			if err != nil {
				t.Fatalf("ITK-SNAP round trip: %v\n%s", err, buf.String())
			}
			// ITK-SNAP has no locked flag.
			want := *tab
			want.Labels = append([]viewer.Label(nil), tab.Labels...)
			for i := range want.Labels {
				want.Labels[i].Locked = false
			}
			if !equalTables(back, &want) {
				t.Fatalf("ITK-SNAP round trip\n got %+v\nwant %+v\n%s", back.Labels, want.Labels, buf.String())
			}
		}
	})
}

func equalTables(a, b *viewer.LabelTable) bool {
	if len(a.Labels) == 0 && len(b.Labels) == 0 {
		return true
	}
	return reflect.DeepEqual(a.Labels, b.Labels)
}
