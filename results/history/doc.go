// Package history follows each scenario's results over commits and time,
// one series per host class and configuration, and finds where they
// changed: the engine of `mirrorbench history`.
//
// It is opinionated:
//
//   - A series holds only runs that measured the same thing: its key
//     (store.SeriesKey) is the scenario, the host class (CPU model,
//     threads, architecture) and the configuration as run: the engine and
//     how it ran (the native engine's SIMD kernel path, engine opencl's
//     devices), the framework's versions (torch; Gorgonia and its tensor
//     package), the devices and processes, the epochs, the training images
//     per epoch and the global batch. A `run --epochs 1 --train-limit 640`
//     of a scenario is a series of its own beside the full runs, not a
//     change point among them; runs that differ only in time, seed or
//     commit share a series. Records stored before the store kept these
//     take them from their record, and a record without epochs or batch
//     takes its scenario's.
//   - Changes are found by E-divisive means (Matteson & James 2014, "A
//     Nonparametric Approach for Multiple Change Point Analysis of
//     Multivariate Data"), the method MongoDB runs in its performance CI
//     (Daly et al. 2020, "The Use of Change Point Detection to Identify
//     Software Performance Regressions in a Continuous Integration
//     System"). It assumes no distribution (benchmark noise is skewed and
//     often bimodal: frequency scaling, a noisy neighbour), needs no
//     threshold per benchmark and no guess of how many changes there are,
//     and its permutation test keeps false alarms at the level asked for,
//     which the tests measure. A threshold on successive points fires on
//     noise; a t-test per commit multiplies false alarms by the commits;
//     likelihood methods (CUSUM, PELT) need a noise model and a penalty.
//   - The series is split recursively (binary segmentation): the split
//     that maximises the energy-distance statistic Q (exponent 1) over all
//     segments is kept when a permutation test, shuffling within each
//     segment, gives p <= Alpha (0.05); then the next. 199 permutations
//     (smallest p 0.005) drawn by a PCG with a fixed seed, so the same
//     runs give the same changes; segments of at least 3 points. As in
//     MongoDB's implementation, each candidate's right side runs to the
//     end of its segment (the paper also searches that end). A test stops
//     early once p can no longer reach Alpha. Each scan of a segment costs
//     O(n log n) (ranks, prefix sums, a Fenwick tree): a 500-point series
//     with a change takes about 5 ms (BenchmarkDetect).
//   - Values are analysed as logarithms (when all are positive), so a 5 %
//     step is a 5 % step at any scale.
//   - Points are runs, never commits: several runs at one commit stay
//     separate points, in time order. Only runs with status ok or
//     target_missed and a value become points.
//   - A change is marked on its first point, e.g. "▼ -8.1 % slower
//     (p=0.005)": the arrow and the sign are the direction of the value
//     (the ratio of the medians after and before), the word what that
//     means for the metric: samples_per_second up is faster,
//     us_per_sample and time_to_target up are slower, test_accuracy up is
//     better.
//
// What it can see, measured on synthetic series (a 5 % step between two
// equal halves in log-normal noise with a 10 % coefficient of variation,
// 1000 series per row; Gaussian noise gives the same figures within a
// point):
//
//	points each side   a change   within ±10   within ±20   nearest: p50   p80
//	              10     12.3 %       12.3 %       12.3 %              3     5
//	              20     20.0 %       16.5 %       20.0 %              4    10
//	              40     35.7 %       24.8 %       31.0 %              5    16
//	              80     66.7 %       43.6 %       54.0 %              6    19
//	             120     85.5 %       54.0 %       66.2 %              6    23
//	             160     94.1 %       60.4 %       75.4 %              6    20
//	             240     99.7 %       61.6 %       78.8 %              7    22
//	             320    100.0 %       60.8 %       80.3 %              7    20
//
// Flat series with the same noise raise a change in 5.2 % (50 points),
// 5.4 % (100), 6.0 % (200) and 4.2 % (500) of 2000 series: Alpha, as the
// permutation test promises. So a 5 % step in 10 % noise needs about 120
// runs either side to be found four times in five, and is then placed
// within ±20 runs of the truth three times in four: the noise, not the
// method, sets this (the step is half a standard deviation, and even the
// best estimate of where a step is errs on the scale of (σ/step)² = 4
// runs, with a long tail). Steps this small are found sooner by
// lowering the noise (repeated runs per commit) than by waiting.
// TestDetectionRates asserts the row for 120 and the flat rate for 100;
// TestMeasure (go test ./results/history/ -run TestMeasure -measure -v,
// about 20 s on two cores) prints the table.
package history
