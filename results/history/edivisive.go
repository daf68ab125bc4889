package history

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// Defaults of Options, used where a field is 0.
const (
	DefaultAlpha        = 0.05
	DefaultPermutations = 199
	DefaultMinSize      = 3
)

// pcgStream is the second word of the PCG state: Options.Seed is the first.
const pcgStream = 0x9e3779b97f4a7c15

// Options control Detect. A zero field takes its default, except Seed: 0 is
// a seed like any other.
type Options struct {
	// Alpha is the significance level of each permutation test (default
	// 0.05). Segmentation stops at the first candidate with p > Alpha.
	Alpha float64
	// Permutations is the number of permutations per test (default 199,
	// so the smallest p is 1/200 = 0.005).
	Permutations int
	// MinSize is the fewest points a segment may hold (default 3, at
	// least 2).
	MinSize int
	// Seed seeds the PCG that draws the permutations: the same values and
	// options always give the same changes.
	Seed uint64
}

func (o Options) withDefaults() Options {
	if o.Alpha <= 0 {
		o.Alpha = DefaultAlpha
	}
	if o.Permutations <= 0 {
		o.Permutations = DefaultPermutations
	}
	if o.MinSize <= 0 {
		o.MinSize = DefaultMinSize
	}
	o.MinSize = max(o.MinSize, 2)
	return o
}

// Change is a change point in a series.
type Change struct {
	Index  int     // first point after the change
	Before float64 // median of the segment before the change
	After  float64 // median of the segment after the change
	Ratio  float64 // After/Before; 0 when Before is 0
	P      float64 // permutation p-value of the split when it was made
}

// cut is an accepted split: its index in the series and its p-value.
type cut struct {
	index int
	p     float64
}

// Detect finds the change points of values (finite, in time order) by
// E-divisive means with a permutation test, applied recursively. Positive
// series are analysed as logarithms. The changes are in index order.
func Detect(values []float64, opt Options) []Change {
	opt = opt.withDefaults()
	cuts := segment(transform(values), opt)
	return describe(values, cuts)
}

// transform returns the logarithms of values when all are positive, else a
// copy of values, less their median: the statistic depends only on
// differences, and centred sums keep their precision.
func transform(values []float64) []float64 {
	x := slices.Clone(values)
	if !slices.ContainsFunc(values, func(v float64) bool { return !(v > 0) }) {
		for i, v := range x {
			x[i] = math.Log(v)
		}
	}
	m := median(x)
	for i := range x {
		x[i] -= m
	}
	return x
}

// segment splits x by binary segmentation: at each step the best split of
// any segment is tested, and accepted when its p-value is at most Alpha.
func segment(x []float64, opt Options) []cut {
	rng := rand.New(rand.NewPCG(opt.Seed, pcgStream))
	w := newWork(len(x), opt.MinSize)
	bounds := []int{0, len(x)}
	var cuts []cut
	for {
		rank := segmentRanks(x, bounds)
		seg, at, q := w.bestOfSegments(x, rank, bounds)
		if seg < 0 {
			break
		}
		p := w.permutationP(x, rank, bounds, q, opt, rng)
		if p > opt.Alpha {
			break
		}
		cuts = append(cuts, cut{index: at, p: p})
		bounds = slices.Insert(bounds, seg+1, at)
	}
	slices.SortFunc(cuts, func(a, b cut) int { return a.index - b.index })
	return cuts
}

// segmentRanks returns the rank of each x[i] within its segment.
func segmentRanks(x []float64, bounds []int) []int {
	rank := make([]int, len(x))
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := bounds[i], bounds[i+1]
		idx := make([]int, hi-lo)
		for j := range idx {
			idx[j] = lo + j
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
		for r, j := range idx {
			rank[j] = r
		}
	}
	return rank
}

// work is the scratch space of one segmentation.
type work struct {
	minSize     int
	px          []float64 // permuted values
	pr          []int     // their ranks
	left, total []float64 // per point: Σ distance to the points before it, to all
	sorted      []float64 // prefix sums of a segment's values in rank order
	cnt         []int     // Fenwick tree over ranks: counts
	sum         []float64 // Fenwick tree over ranks: sums of values
}

func newWork(n, minSize int) *work {
	return &work{minSize: minSize,
		px: make([]float64, n), pr: make([]int, n),
		left: make([]float64, n), total: make([]float64, n),
		sorted: make([]float64, n+1), cnt: make([]int, n+1), sum: make([]float64, n+1)}
}

// bestOfSegments returns the segment (index into bounds) holding the split
// with the largest statistic, the split's index in x and the statistic;
// seg is -1 when no segment is long enough to split.
func (w *work) bestOfSegments(x []float64, rank, bounds []int) (seg, at int, q float64) {
	seg, q = -1, math.Inf(-1)
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := bounds[i], bounds[i+1]
		tau, qi := w.bestSplit(x[lo:hi], rank[lo:hi])
		if tau > 0 && qi > q {
			seg, at, q = i, lo+tau, qi
		}
	}
	return seg, at, q
}

// permutationP is the p-value of the statistic q: the share of permutations
// (values shuffled within each segment) whose largest statistic is at least
// q, counting the observed order as one. It stops early, returning a lower
// bound above Alpha, once p can no longer be at most Alpha.
func (w *work) permutationP(x []float64, rank, bounds []int, q float64, opt Options, rng *rand.Rand) float64 {
	r := opt.Permutations
	limit := opt.Alpha * float64(r+1)
	count := 0
	for range r {
		copy(w.px, x)
		copy(w.pr, rank)
		shuffleSegments(w.px, w.pr, bounds, rng)
		if _, _, qp := w.bestOfSegments(w.px, w.pr, bounds); qp >= q {
			count++
			if float64(count+1) > limit {
				break
			}
		}
	}
	return float64(count+1) / float64(r+1)
}

// shuffleSegments permutes x, and rank with it, within each segment.
func shuffleSegments(x []float64, rank, bounds []int, rng *rand.Rand) {
	for i := 0; i+1 < len(bounds); i++ {
		s, r := x[bounds[i]:bounds[i+1]], rank[bounds[i]:bounds[i+1]]
		rng.Shuffle(len(s), func(a, b int) {
			s[a], s[b] = s[b], s[a]
			r[a], r[b] = r[b], r[a]
		})
	}
}

// bestSplit returns the split tau (x[:tau] | x[tau:]) that maximises the
// E-divisive statistic (Matteson & James 2014, exponent 1)
//
//	Q = m·k/(m+k) · (2/(m·k)·Σ|a−b| − Σ|a−a'|/C(m,2) − Σ|b−b'|/C(k,2))
//
// over both sides having at least minSize points, and its Q; tau is 0 when
// x is too short. rank holds the ranks of x (0 to n−1). The distance sums
// come from prefix sums in rank order and a Fenwick tree: O(n log n).
func (w *work) bestSplit(x []float64, rank []int) (tau int, q float64) {
	n := len(x)
	if n < 2*w.minSize {
		return 0, 0
	}
	w.rowSums(x, rank)
	within := 0.0 // Σ|x_i−x_j| over the pairs on the right side
	for i := range n {
		within += w.total[i]
	}
	within /= 2
	cross, inLeft := 0.0, 0.0
	q = math.Inf(-1)
	for i := 0; i < n-w.minSize; i++ { // move x[i] to the left side
		right := w.total[i] - w.left[i]
		inLeft += w.left[i]
		within -= right
		cross += right - w.left[i]
		if i+1 < w.minSize {
			continue
		}
		m, k := float64(i+1), float64(n-i-1)
		e := 2*cross/(m*k) - inLeft/(m*(m-1)/2) - within/(k*(k-1)/2)
		if qi := m * k / (m + k) * e; qi > q {
			tau, q = i+1, qi
		}
	}
	return tau, q
}

// rowSums sets w.total[i] = Σ_j |x_i−x_j| and w.left[i] = Σ_{j<i} |x_i−x_j|.
func (w *work) rowSums(x []float64, rank []int) {
	n := len(x)
	ps := w.sorted[:n+1]
	for i, r := range rank {
		ps[r+1] = x[i]
	}
	ps[0] = 0
	for r := 1; r <= n; r++ {
		ps[r] += ps[r-1]
	}
	clear(w.cnt[:n+1])
	clear(w.sum[:n+1])
	before := 0.0 // Σ x_j over j < i
	for i, v := range x {
		r := rank[i]
		below, above := float64(r), float64(n-1-r)
		w.total[i] = below*v - ps[r] + (ps[n] - ps[r+1]) - above*v
		c, s := w.lower(r) // the points before i ranked below it
		w.left[i] = float64(c)*v - s + (before - s) - float64(i-c)*v
		w.insert(r, v, n)
		before += v
	}
}

// lower returns the count and sum of the inserted values ranked below r.
func (w *work) lower(r int) (c int, s float64) {
	for j := r; j > 0; j -= j & -j {
		c += w.cnt[j]
		s += w.sum[j]
	}
	return c, s
}

// insert adds the value v of rank r (of n) to the Fenwick tree.
func (w *work) insert(r int, v float64, n int) {
	for j := r + 1; j <= n; j += j & -j {
		w.cnt[j]++
		w.sum[j] += v
	}
}

// describe turns cuts into changes, with the medians of the raw values of
// the segments either side.
func describe(values []float64, cuts []cut) []Change {
	var changes []Change
	for i, c := range cuts {
		lo, hi := 0, len(values)
		if i > 0 {
			lo = cuts[i-1].index
		}
		if i+1 < len(cuts) {
			hi = cuts[i+1].index
		}
		ch := Change{Index: c.index, P: c.p,
			Before: median(values[lo:c.index]), After: median(values[c.index:hi])}
		if ch.Before != 0 {
			ch.Ratio = ch.After / ch.Before
		}
		changes = append(changes, ch)
	}
	return changes
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
