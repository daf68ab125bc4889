// Package report shows run records to people: the summary table (for a
// terminal, or Markdown for a pull request) and the figures (accuracy and
// loss per epoch, throughput bars). It reads records and writes text and
// images; it measures, compares and looks up nothing.
//
// It is opinionated, in the way benchstat is about its tables:
//
//   - One row per configuration. Repeated runs of one configuration
//     (--count, a seed sweep) share a row: statuses counted, test accuracy
//     as mean ± sample standard deviation, speed as the median with its
//     range, never a mean, which one slow run would move.
//   - What was measured here and what was not never mix. A published
//     figure is a row of its own marked "reported"; throughput bars are
//     measured, projected or reported, each its own colour, projected ones
//     hatched as well so that the difference survives greyscale.
//   - Published figures are handed in by the caller (Reported,
//     ThroughputBar): data flows one way, and this package imports no
//     source of them.
//   - Why a run was skipped or failed is printed in full under the table,
//     where a cell would have to cut it.
//   - A figure's legend sits beside the plot, never over a curve or a bar;
//     colours are Okabe-Ito, told apart with colour blindness; a value that
//     is not finite (a diverged loss) is left out of a curve, not an error.
package report
