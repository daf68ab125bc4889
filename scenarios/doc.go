// Package scenarios is the scenario file format of mirrorbench.
//
// A scenario is one YAML file that says what to train (engine), where
// (devices, strategy, replicas), how (batch, epochs, seed, optimizer) and what
// counts as success (targets). This package decodes such a file strictly,
// applies the defaults, validates it, and expands a seed sweep into one
// scenario per seed. It also embeds the default suite: the *.yaml files
// beside this code.
//
// The package is opinionated: a file either means exactly one thing or it is
// rejected. Unknown keys, wrong types, fractional integers, null values,
// YAML aliases and combinations that would make a run mean something other
// than what it says are errors, and every error is an *Error that names the
// file, the line and the field. Defaults are applied only to fields that are
// absent, so an explicit zero is checked, never silently replaced.
//
// The format is documented in Help, right beside the struct that decodes it.
// The package knows nothing about training: it imports no other package of
// the module.
package scenarios
