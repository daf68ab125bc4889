// Package dashboard writes the results history as one static web page:
// per scenario, throughput and final test accuracy over time, one line per
// history series (host class and configuration), change points marked, and a table of the runs behind every
// point. It reads history series and writes a file; it measures, stores
// and detects nothing itself.
//
// It is opinionated:
//
//   - Self-contained: one index.html with inline CSS and inline SVG, no
//     script, font, stylesheet or image from anywhere else, so that it
//     opens on a machine without internet, from a CI artefact or a file
//     share, and reads the same in ten years.
//   - Static: no JavaScript. A point is a link to its run's row in the
//     table below (the row is highlighted when targeted), and its tooltip
//     is an SVG <title>.
//   - Escaped: every string that comes from a record (scenario names,
//     descriptions, host classes, commits, keys) goes through html/template,
//     in text and in SVG attributes alike; the page never builds markup by
//     concatenation.
//   - Hosts are never averaged together, nor configurations: each history
//     series (a host class and a configuration: engine and kernels,
//     framework versions, devices, epochs, training images, batch; see
//     store.SeriesKey) is its own line, in the same Okabe-Ito colour on
//     every chart of the page, so a one-epoch run never joins the full
//     runs' line.
//   - A change point is drawn where history found it (the first run after
//     the change), as a dashed vertical line labelled with the change of
//     the level in per cent; this package does not second-guess it.
//   - No sideways scrolling at 1280 px: the table of runs takes the page's
//     width and wraps its text cells (a host line anywhere), engine,
//     devices and replicas share a cell, and hashes are cut, whole in their
//     title; the Chromium test measures it in a window of that width.
//   - The page is written atomically (a temporary file renamed over
//     index.html), so a reader never sees half of it.
package dashboard
