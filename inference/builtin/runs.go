package builtin

import "context"

// A runSet is a binary mask of the whole grid stored as runs along axis 0
// (i, the fastest in memory): row r = j + ny·k holds the runs
// x0[rowStart[r]:rowStart[r+1]], each the voxels i in [x0, x1). A mask of
// the body, the air or the bone has a few runs per row, so this costs a
// few bytes per row where a []bool or an []int32 component map would cost
// one or four bytes per voxel; and connected components on runs touch each
// run, not each voxel, a few times.
type runSet struct {
	nx, ny, nz int
	rowStart   []int32 // len ny·nz + 1
	x0, x1     []int32
}

func (rs *runSet) len() int { return len(rs.x0) }

// row returns the first and one-past-last run index of row (j, k).
func (rs *runSet) row(j, k int) (int, int) {
	r := j + rs.ny*k
	return int(rs.rowStart[r]), int(rs.rowStart[r+1])
}

// buildRuns collects the runs of the voxels for which in(index) holds,
// slice k by slice k on the pool's workers; the result does not depend on
// the number of workers.
func buildRuns(ctx context.Context, p *pool, stage string, f0, f1 float64, dims [3]int, in func(idx int) bool) (*runSet, error) {
	nx, ny, nz := dims[0], dims[1], dims[2]
	type slab struct {
		counts []int32 // runs per row of the slice
		x0, x1 []int32
	}
	slabs := make([]slab, nz)
	err := p.each(ctx, stage, f0, f1, nz, func(_ *worker, k int) {
		s := slab{counts: make([]int32, ny)}
		base := k * nx * ny
		for j := 0; j < ny; j++ {
			row := base + j*nx
			n := 0
			for i := 0; i < nx; {
				if !in(row + i) {
					i++
					continue
				}
				a := i
				for i < nx && in(row+i) {
					i++
				}
				s.x0 = append(s.x0, int32(a))
				s.x1 = append(s.x1, int32(i))
				n++
			}
			s.counts[j] = int32(n)
		}
		slabs[k] = s
	})
	if err != nil {
		return nil, err
	}
	total := 0
	for _, s := range slabs {
		total += len(s.x0)
	}
	rs := &runSet{nx: nx, ny: ny, nz: nz, rowStart: make([]int32, ny*nz+1),
		x0: make([]int32, 0, total), x1: make([]int32, 0, total)}
	r := 0
	for k := range slabs {
		for _, c := range slabs[k].counts {
			rs.rowStart[r+1] = rs.rowStart[r] + c
			r++
		}
		rs.x0 = append(rs.x0, slabs[k].x0...)
		rs.x1 = append(rs.x1, slabs[k].x1...)
		slabs[k] = slab{} // let it go as soon as it is copied
	}
	return rs, nil
}

// components is the 6-connected component labelling of a runSet: comp[r]
// is run r's component, numbered 0.. in the order first met (k, then j,
// then i ascending, the order edit's island tools use), and size the
// voxel count of each.
type components struct {
	comp []int32
	size []int64
}

// connect labels the components of rs with union-find over runs. Runs in
// neighbouring rows of one slice are joined slice by slice in parallel
// (the unions of slice k touch only slice k's runs, so no locking is
// needed); the joins across slices, which are few and cheap, run in order
// on one goroutine. The partition does not depend on the order of unions,
// and the numbering is by first run, so the result is deterministic.
func connect(ctx context.Context, p *pool, stage string, f0, f1 float64, rs *runSet) (*components, error) {
	n := rs.len()
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(a int32) int32 {
		for parent[a] != a {
			parent[a] = parent[parent[a]] // path halving
			a = parent[a]
		}
		return a
	}
	union := func(a, b int32) {
		ra, rb := find(a), find(b)
		switch {
		case ra < rb:
			parent[rb] = ra
		case rb < ra:
			parent[ra] = rb
		}
	}
	// join unions the overlapping runs of two rows (face neighbours: the
	// runs must share at least one i).
	join := func(a0, a1, b0, b1 int) {
		for a, b := a0, b0; a < a1 && b < b1; {
			if rs.x0[a] < rs.x1[b] && rs.x0[b] < rs.x1[a] {
				union(int32(a), int32(b))
			}
			if rs.x1[a] < rs.x1[b] {
				a++
			} else {
				b++
			}
		}
	}
	mid := f0 + (f1-f0)*0.5
	err := p.each(ctx, stage, f0, mid, rs.nz, func(_ *worker, k int) {
		for j := 0; j+1 < rs.ny; j++ {
			a0, a1 := rs.row(j, k)
			b0, b1 := rs.row(j+1, k)
			join(a0, a1, b0, b1)
		}
	})
	if err != nil {
		return nil, err
	}
	for k := 0; k+1 < rs.nz; k++ {
		if k%16 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			p.rep.at(stage, mid+(f1-mid)*float64(k)/float64(rs.nz))
		}
		for j := 0; j < rs.ny; j++ {
			a0, a1 := rs.row(j, k)
			b0, b1 := rs.row(j, k+1)
			join(a0, a1, b0, b1)
		}
	}
	// Number the components in run order, reusing parent as the
	// component map. Unions hang the larger root under the smaller and
	// path halving only shortens paths, so parent[r] ≤ r and a component's
	// root is its first run. One ascending pass points every run straight
	// at its root (the runs before r already do, so find takes two steps);
	// a second numbers roots as met and stores each run's number as
	// −(id+1), its root having been numbered first.
	for r := 0; r < n; r++ {
		parent[r] = find(int32(r))
	}
	c := &components{}
	for r := 0; r < n; r++ {
		var id int32
		if root := parent[r]; root == int32(r) {
			id = int32(len(c.size))
			c.size = append(c.size, 0)
		} else {
			id = -parent[root] - 1
		}
		c.size[id] += int64(rs.x1[r] - rs.x0[r])
		parent[r] = -id - 1
	}
	for r := range parent {
		parent[r] = -parent[r] - 1
	}
	c.comp = parent
	return c, nil
}
