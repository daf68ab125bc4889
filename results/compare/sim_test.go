package compare

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Simulations of the verdict on synthetic samples of known effect and
// noise, from fixed seeds. The figures in the comments are what these
// seeds give; the assertions leave room for other seeds.

// suiteAlpha is the per-benchmark alpha of the measured suite: 0.05 over
// 4 benchmarks.
const suiteAlpha = 0.0125

// simCase is n rounds of one benchmark. Each round multiplies both its
// sides by one drift factor, log-normal with sd drift (the machine's
// speed that round, which pairing cancels); each side then gets its own
// log-normal noise, so that log(new/old) has sd pairSD; new is effect
// times slower.
type simCase struct {
	n                     int
	effect, pairSD, drift float64
}

func (s simCase) draw(rng *rand.Rand) (old, new []float64) {
	old, new = make([]float64, s.n), make([]float64, s.n)
	for i := range s.n {
		g := 40e-6 * math.Exp(s.drift*rng.NormFloat64())
		old[i] = g * math.Exp(s.pairSD/math.Sqrt2*rng.NormFloat64())
		new[i] = g * s.effect * math.Exp(s.pairSD/math.Sqrt2*rng.NormFloat64())
	}
	return old, new
}

// simResult counts, over the trials, the comparisons that fail (a
// significant regression beyond the 3% threshold), that find a significant
// change (either way) and a significant slowdown of any size, whose
// interval covers the true change, and the mean minimum detectable effect.
type simResult struct {
	trials, fails, significant, slower, covered int
	meanMDE                                     float64
}

func (r simResult) rate(k int) float64 { return float64(k) / float64(r.trials) }

func simulate(t *testing.T, s simCase, paired bool, trials int, seed uint64) simResult {
	t.Helper()
	opt, err := Options{Paired: paired}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	r := simResult{trials: trials}
	truth := 100 * (s.effect - 1)
	for range trials {
		old, new := s.draw(rng)
		c := compareRow(rowPlan{name: "sim", unit: "cpu-sec/sample", old: old, new: new, better: -1}, suiteAlpha, opt)
		if c.Paired != paired {
			t.Fatalf("paired %v, want %v", c.Paired, paired)
		}
		if c.Failure != "" {
			r.fails++
		}
		if c.Significant {
			r.significant++
		}
		if c.Verdict == VerdictRegression {
			r.slower++
		}
		if c.DeltaLo <= truth && truth <= c.DeltaHi {
			r.covered++
		}
		r.meanMDE += c.MDEPct / float64(trials)
	}
	return r
}

// The measured case: 20 interleaved rounds, 9% noise in each round's
// ratio, 30% drift between rounds, alpha 0.0125. With these seeds, of 500
// paired trials a 10% slowdown fails 96.4%; unchanged code fails 0.2%
// (significant either way: 0.8%, alpha being 1.25%). Unpaired, the drift
// hides the same slowdown: 0.4% fail, the mean minimum detectable effect
// being 38% against 7.1% paired. The paired interval covers the true
// change in 99.0% and 99.4% of the trials (its level is 98.75%).
func TestSimPairedPower(t *testing.T) {
	slow := simCase{n: 20, effect: 1.10, pairSD: 0.09, drift: 0.30}
	same := slow
	same.effect = 1

	p := simulate(t, slow, true, 500, 1)
	if p.rate(p.fails) < 0.90 {
		t.Errorf("paired: a 10%% slowdown failed %.1f%% of trials, want >= 90%%", 100*p.rate(p.fails))
	}
	p0 := simulate(t, same, true, 500, 2)
	if p0.rate(p0.fails) > 0.02 || p0.rate(p0.significant) > 2*suiteAlpha {
		t.Errorf("paired: no change failed %.1f%% of trials (significant %.1f%%), want <= 2%% (2.5%%)",
			100*p0.rate(p0.fails), 100*p0.rate(p0.significant))
	}
	u := simulate(t, slow, false, 500, 1)
	if u.rate(u.fails) > 0.30 || u.rate(u.fails) > p.rate(p.fails)/2 {
		t.Errorf("unpaired: a 10%% slowdown failed %.1f%% of trials; paired %.1f%%: pairing should matter",
			100*u.rate(u.fails), 100*p.rate(p.fails))
	}
	for _, r := range []simResult{p, p0} {
		if r.rate(r.covered) < 1-suiteAlpha-0.02 {
			t.Errorf("the paired interval covered the true change in %.1f%% of trials, want about %.2f%%",
				100*r.rate(r.covered), 100*(1-suiteAlpha))
		}
	}
	t.Logf("paired: 10%% slower fails %.1f%%, no change %.1f%% (significant %.1f%%); unpaired: 10%% slower fails %.1f%%; coverage %.1f%%, %.1f%%; mean MDE paired %.2f%%, unpaired %.2f%%",
		100*p.rate(p.fails), 100*p0.rate(p0.fails), 100*p0.rate(p0.significant), 100*u.rate(u.fails), 100*p.rate(p.covered), 100*p0.rate(p0.covered), p.meanMDE, u.meanMDE)
}

// The minimum detectable effect is meant as the change found with 80%
// power. At the effect the formula gives for the true noise (9% per pair
// over 20 pairs, or 6.4% a side over 20 and 20 unpaired: 7.12% both),
// these seeds find a significant slowdown in 71.8% (paired) and 74.6%
// (unpaired) of 500 trials; the 80% point itself lies near 7.9% paired
// and 7.5% unpaired (2000 trials at 7.5, 7.9 and 8.3%: 75.6, 80.3, 85.0%
// paired; 79.6, 85.4, 89.0% unpaired). The tolerance is 65-90%: the
// normal approximation is optimistic for 20 samples, whose spread is
// itself estimated (Student's t on 19 degrees of freedom instead of z
// would give 7.7%). The reported MDE, from each trial's own noise,
// averages within 5% of the formula (6.99% and 7.03%).
func TestSimMDE(t *testing.T) {
	for _, tc := range []struct {
		paired bool
		se     float64 // standard error of the log-scale estimate
		s      simCase
	}{
		{true, 0.09 / math.Sqrt(20), simCase{n: 20, pairSD: 0.09, drift: 0.30}},
		// Unpaired, no drift: each side's own noise is pairSD/sqrt(2).
		{false, 0.09 / math.Sqrt2 * math.Sqrt(2.0/20), simCase{n: 20, pairSD: 0.09}},
	} {
		mde := mdePct(tc.se, suiteAlpha)
		tc.s.effect = 1 + mde/100
		r := simulate(t, tc.s, tc.paired, 500, 4)
		power := r.rate(r.slower)
		t.Logf("paired %v: MDE %.2f%%, power there %.1f%%, mean reported MDE %.2f%%", tc.paired, mde, 100*power, r.meanMDE)
		if power < 0.65 || power > 0.90 {
			t.Errorf("paired %v: power %.1f%% at the MDE %.2f%%, want 65-90%%", tc.paired, 100*power, mde)
		}
		if math.Abs(r.meanMDE/mde-1) > 0.05 {
			t.Errorf("paired %v: mean reported MDE %.2f%%, formula %.2f%%", tc.paired, r.meanMDE, mde)
		}
	}
}

// Too noisy to see 3%: no change at 25% noise is inconclusive, not "~".
func TestSimTooNoisy(t *testing.T) {
	opt, _ := Options{Paired: true}.withDefaults()
	rng := rand.New(rand.NewPCG(5, 3))
	old, new := simCase{n: 20, effect: 1, pairSD: 0.25}.draw(rng)
	c := compareRow(rowPlan{name: "sim", unit: "cpu-sec/sample", old: old, new: new, better: -1}, suiteAlpha, opt)
	if c.Verdict != VerdictTooNoisy || !(c.MDEPct > 3) {
		t.Errorf("verdict %q MDE %v%%, want inconclusive above 3%%", c.Verdict, c.MDEPct)
	}
}
