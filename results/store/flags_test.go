package store

// The store has no golden files, but `go test ./results/... -update`
// passes -update to every package under results/: importing golden
// defines the flag here too, so that command runs instead of failing with
// "flag provided but not defined".
import _ "github.com/mirrorbench/mirrorbench/results/internal/golden"
