package compare

import (
	"cmp"
	"math"
	"slices"
)

// Rank statistics on log values: the Wilcoxon signed-rank test, the
// confidence intervals of a change from the order statistics of Walsh
// averages (paired) or pairwise differences (unpaired), and the minimum
// detectable effect.
//
// Sums that feed reported figures are written float64(x*y) + z, which Go
// never fuses into a multiply-add: the golden CSV stays the same on arm64.

// exactMaxN is the largest number of non-zero differences (paired) or of
// samples a side (unpaired) for which distributions are counted exactly;
// counts stay below 2^53 up to n = 50, so they are exact integers.
const exactMaxN = 50

// maxWalshN is the largest number of pairs whose n(n+1)/2 Walsh averages
// are sorted for the interval; above it the sign-test interval is used.
// maxPairwise bounds the n1*n2 differences of the unpaired interval.
const (
	maxWalshN   = 2000
	maxPairwise = 4_000_000
)

// power is the power at which the minimum detectable effect is stated.
const power = 0.8

// rankEfficiency is sqrt(3/pi) ≈ 0.977: the rank tests' asymptotic
// efficiency relative to the t test under normal noise is 3/pi, so they
// need pi/3 times the samples, or see effects sqrt(pi/3) times larger.
var rankEfficiency = math.Sqrt(3 / math.Pi)

// signedRankP is the two-sided p-value of the Wilcoxon signed-rank test
// that d is centred on 0. Zero differences are dropped; tied magnitudes get
// their mid-rank. Exact (conditional on the ties) up to exactMaxN non-zero
// differences, else the normal approximation with the tie-corrected
// variance and a continuity correction.
func signedRankP(d []float64) float64 {
	var nz, abs []float64
	for _, x := range d {
		if x != 0 {
			nz = append(nz, x)
			abs = append(abs, math.Abs(x))
		}
	}
	if len(nz) == 0 {
		return 1
	}
	r2 := doubledMidranks(abs)
	w2 := 0 // twice W+, the sum of the positive differences' ranks
	for i, x := range nz {
		if x > 0 {
			w2 += r2[i]
		}
	}
	if len(nz) <= exactMaxN {
		return exactSignedRankP(r2, w2)
	}
	return normalSignedRankP(r2, w2)
}

// doubledMidranks is twice the mid-rank of each value among x, an integer.
func doubledMidranks(x []float64) []int {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	r2 := make([]int, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r2[idx[k]] = (i + 1) + (j + 1) // ranks i+1..j+1 average to half this
		}
		i = j + 1
	}
	return r2
}

// subsetSumCounts counts, for each s, the subsets of w that sum to s: the
// null distribution of a signed-rank sum, each rank's sign a fair coin.
func subsetSumCounts(w []int) []float64 {
	total := 0
	for _, x := range w {
		total += x
	}
	c := make([]float64, total+1)
	c[0] = 1
	top := 0
	for _, x := range w {
		for s := top; s >= 0; s-- {
			c[s+x] += c[s]
		}
		top += x
	}
	return c
}

// exactSignedRankP: 2 min(P(W+ <= w), P(W+ >= w)), capped at 1.
func exactSignedRankP(r2 []int, w2 int) float64 {
	counts := subsetSumCounts(r2)
	var lo, hi, all float64
	for s, c := range counts {
		all += c
		if s <= w2 {
			lo += c
		}
		if s >= w2 {
			hi += c
		}
	}
	return math.Min(1, 2*math.Min(lo, hi)/all)
}

// normalSignedRankP: under the null W+ has mean sum(r)/2 and variance
// sum(r^2)/4 for the ranks r in use, which is the tie-corrected variance.
func normalSignedRankP(r2 []int, w2 int) float64 {
	var mean, variance float64
	for _, r := range r2 {
		mean += float64(r) / 4
		variance += float64(r) * float64(r) / 16
	}
	z := (math.Abs(float64(w2)/2-mean) - 0.5) / math.Sqrt(variance)
	return math.Min(1, math.Erfc(math.Max(z, 0)/math.Sqrt2))
}

// pairedMinP is the smallest p-value the signed-rank test gives n non-zero
// differences (it drops the zero ones): all of one sign, 2/2^n; 1 when
// none is left.
func pairedMinP(nonZero int) float64 { return math.Min(1, math.Ldexp(2, -nonZero)) }

// nonZero counts the differences the signed-rank test keeps.
func nonZero(d []float64) int {
	n := 0
	for _, x := range d {
		if x != 0 {
			n++
		}
	}
	return n
}

// lowerCrit is the largest k with P(S <= k) <= alpha/2 for counts of a
// statistic S's null distribution; -1 when even P(S <= 0) is larger.
func lowerCrit(counts []float64, alpha float64) int {
	var all float64
	for _, c := range counts {
		all += c
	}
	k, cum := -1, 0.0
	for s, c := range counts {
		cum += c
		if cum/all > alpha/2 {
			break
		}
		k = s
	}
	return k
}

// normalCrit is lowerCrit by the normal approximation, with a continuity
// correction: P(S <= k) ≈ Phi((k + 0.5 - mean) / sd).
func normalCrit(mean, sd, alpha float64) int {
	return int(math.Floor(mean - 0.5 - zQuantile(1-alpha/2)*sd))
}

// signedRankCrit is lowerCrit of the untied signed-rank sum of n pairs.
func signedRankCrit(n int, alpha float64) int {
	if n > exactMaxN {
		nf := float64(n)
		return normalCrit(nf*(nf+1)/4, math.Sqrt(nf*(nf+1)*(2*nf+1)/24), alpha)
	}
	ranks := make([]int, n)
	for i := range ranks {
		ranks[i] = i + 1
	}
	return lowerCrit(subsetSumCounts(ranks), alpha)
}

// pairedCI is the confidence interval, at level 1-alpha, of the centre of
// the log ratios d: with k from signedRankCrit, the (k+1)-th smallest and
// largest Walsh averages (d_i+d_j)/2, i <= j, the interval that goes with
// the Hodges-Lehmann estimate (exact without ties). Above maxWalshN pairs
// it is the sign test's interval, order statistics of d itself. ±Inf when
// the pairs are too few for any.
func pairedCI(d []float64, alpha float64) (lo, hi float64) {
	n := len(d)
	if n > maxWalshN {
		s := slices.Sorted(slices.Values(d))
		k := normalCrit(float64(n)/2, math.Sqrt(float64(n))/2, alpha)
		return s[k], s[n-1-k]
	}
	k := signedRankCrit(n, alpha)
	if k < 0 {
		return math.Inf(-1), math.Inf(1)
	}
	avg := make([]float64, 0, n*(n+1)/2)
	for i := range d {
		for j := i; j < n; j++ {
			avg = append(avg, (d[i]+d[j])/2)
		}
	}
	slices.Sort(avg)
	return avg[k], avg[len(avg)-1-k]
}

// uCounts counts the ways to reach each value of the Mann-Whitney U of
// samples of m and n without ties: the coefficients of the Gaussian
// binomial [m+n choose m]_q, built as prod (1-q^(n+i)) / (1-q^i).
func uCounts(m, n int) []float64 {
	p := []float64{1}
	for i := 1; i <= m; i++ {
		q := make([]float64, i*n+1)
		for k := range q {
			v := 0.0
			if k < len(p) {
				v = p[k]
			}
			if j := k - (n + i); j >= 0 {
				v -= p[j]
			}
			if k >= i {
				v += q[k-i]
			}
			q[k] = v
		}
		p = q
	}
	return p
}

// shiftCI is the Hodges-Lehmann estimate of the shift from x to y (log
// values), the median of the n1*n2 differences y_j - x_i, and its
// confidence interval at level 1-alpha: the (k+1)-th smallest and largest
// of the same differences, k the U test's critical value (exact without
// ties up to exactMaxN a side). Estimate and interval are order statistics
// of one sorted list, so the estimate always lies in its interval (the
// ratio of the medians need not). The interval is ±Inf when the samples
// are too few for any; all three are NaN beyond maxPairwise differences.
func shiftCI(x, y []float64, alpha float64) (est, lo, hi float64) {
	n1, n2 := len(x), len(y)
	if n1*n2 > maxPairwise {
		return math.NaN(), math.NaN(), math.NaN()
	}
	diff := make([]float64, 0, n1*n2)
	for _, a := range x {
		for _, b := range y {
			diff = append(diff, b-a)
		}
	}
	slices.Sort(diff)
	if m := len(diff); m%2 == 0 { // diff is sorted: its median directly
		est = (diff[m/2-1] + diff[m/2]) / 2
	} else {
		est = diff[m/2]
	}
	var k int
	if n1 <= exactMaxN && n2 <= exactMaxN {
		k = lowerCrit(uCounts(n1, n2), alpha)
	} else {
		f1, f2 := float64(n1), float64(n2)
		k = normalCrit(f1*f2/2, math.Sqrt(f1*f2*(f1+f2+1)/12), alpha)
	}
	if k < 0 {
		return est, math.Inf(-1), math.Inf(1)
	}
	return est, diff[k], diff[len(diff)-1-k]
}

// zQuantile is the standard normal quantile function.
func zQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// mdePct is the minimum detectable effect, in percent, of a comparison
// whose log-scale estimate has standard error se, tested two-sided at
// alpha: (z_{1-alpha/2} + z_{power}) se, widened for the rank tests'
// efficiency, as a ratio exp(x)-1.
func mdePct(se, alpha float64) float64 {
	x := (zQuantile(1-alpha/2) + zQuantile(power)) * se / rankEfficiency
	return 100 * math.Expm1(x)
}

// sdev is the sample standard deviation (n-1); NaN for fewer than 2.
func sdev(x []float64) float64 {
	n := float64(len(x))
	if len(x) < 2 {
		return math.NaN()
	}
	var mean, ss float64
	for _, v := range x {
		mean += v
	}
	mean /= n
	for _, v := range x {
		ss = float64((v-mean)*(v-mean)) + ss
	}
	return math.Sqrt(ss / (n - 1))
}

// logs is the natural logarithm of each value; false when one is not
// positive and finite, which has no log ratio.
func logs(x []float64) ([]float64, bool) {
	l := make([]float64, len(x))
	for i, v := range x {
		if !(v > 0) || math.IsInf(v, 1) {
			return nil, false
		}
		l[i] = math.Log(v)
	}
	return l, true
}

// pctOfLog turns a log ratio into a change in percent; ±Inf stay.
func pctOfLog(x float64) float64 {
	if math.IsInf(x, 0) {
		return x
	}
	return 100 * math.Expm1(x)
}
