package edit

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"delineate/viewer"
)

// MapByName maps prediction ids to label-table ids by name, for
// AcceptOptions.Mapping: a model's "Liver" lands on the user's "liver",
// whatever ids either side gave it.
//
// Names match case-insensitively, trimmed, with '_', '-' and white space
// all equal and runs of them read as one ("left_kidney" = "Left Kidney" =
// "left - kidney"). A matched prediction label reuses the table's id; when
// several table entries share a name the smallest id wins. Table entries
// with empty names match nothing. A prediction id without a name in pred is
// named "Label N" (N its prediction id), as the labels panel names unnamed
// entries, so accepting the same model twice still matches.
//
// Unmatched prediction labels get new ids, the smallest free ids above 0:
// not in the table, not in used (the ids present in the target map, which
// may lack table entries) and not already given in this mapping. Smallest
// free, not "largest + 1", keeps ids small, so a uint8 map stays uint8 as
// long as possible. Unmatched labels with the same name share one new id.
// Each new id is returned in added, with the prediction's name and colour
// (the default palette colour when pred has no entry), visible and
// unlocked, for the caller to add to the table (Table.Set), before or
// after accepting. Table entries are not part of the Change: undoing the
// accept leaves them, unused.
//
// predPresent lists the prediction ids to map (its Present()); ids outside
// 1..MaxLabelID are ignored. Should every id up to MaxLabelID be taken the
// label stays out of the mapping, and AcceptPrediction reports it.
func MapByName(pred viewer.LabelTable, predPresent []int, table viewer.LabelTable, used []int) (mapping map[int]int, added []viewer.Label) {
	byName := map[string]int{}
	taken := map[int]bool{}
	for _, l := range table.Labels {
		taken[l.ID] = true
		if n := normLabelName(l.Name); n != "" {
			if id, ok := byName[n]; !ok || l.ID < id {
				byName[n] = l.ID
			}
		}
	}
	for _, id := range used {
		taken[id] = true
	}
	ids := slices.Clone(predPresent)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	mapping = map[int]int{}
	next := 1
	for _, p := range ids {
		if p <= 0 || p > viewer.MaxLabelID {
			continue
		}
		l, ok := pred.Get(p)
		if !ok {
			l = viewer.Label{Colour: viewer.DefaultLabelColours().Colour(p)}
		}
		if strings.TrimSpace(l.Name) == "" {
			l.Name = fmt.Sprintf("Label %d", p)
		}
		n := normLabelName(l.Name)
		if id, ok := byName[n]; ok {
			mapping[p] = id
			continue
		}
		for next <= viewer.MaxLabelID && taken[next] {
			next++
		}
		if next > viewer.MaxLabelID {
			continue
		}
		id := next
		taken[id] = true
		byName[n] = id
		mapping[p] = id
		added = append(added, viewer.Label{ID: id, Name: strings.TrimSpace(l.Name), Colour: l.Colour, Visible: true})
	}
	return mapping, added
}

// normLabelName is the form names are compared in: lower case, trimmed,
// with every run of '_', '-' and white space read as one space.
func normLabelName(s string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(s) {
		if r == '_' || r == '-' || unicode.IsSpace(r) {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte(' ')
		}
		sep = false
		b.WriteRune(r)
	}
	return b.String()
}
