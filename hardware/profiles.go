package hardware

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
)

// Profile is a reference machine: public specifications plus the per-step overhead a
// projection assumes for it. The figures live in profiles.json, each with its source.
type Profile struct {
	ID             string  `json:"id"`        // short and stable, e.g. "gtx-1080-ti"
	Kind           string  `json:"kind"`      // "gpu" or "cpu"
	Model          string  `json:"model"`     // e.g. "NVIDIA GeForce GTX 1080 Ti"
	Units          string  `json:"units"`     // e.g. "3584 CUDA cores"
	ClockMHz       float64 `json:"clock_mhz"` // the clock FP32PeakGFLOPS is computed at (boost for GPUs)
	FP32PeakGFLOPS float64 `json:"fp32_peak_gflops"`
	MemoryGB       float64 `json:"memory_gb"`     // device memory (GPU) or the reference system's RAM (CPU); 0 = unspecified
	BandwidthGBs   float64 `json:"bandwidth_gbs"` // peak memory bandwidth; 0 = unknown, memory term skipped
	// StepOverheadUS is the per-step framework and launch overhead a projection adds. It is an
	// assumption, not a specification; Notes says where each value comes from.
	StepOverheadUS float64 `json:"step_overhead_us"`
	// OverheadFittedTo is the id of the reference result (reference_results.json) whose
	// reported speed StepOverheadUS was fitted to, where it was: that profile's projection
	// reproduces the figure by construction, so it is no evidence for the model. Empty where
	// the overhead is a plain assumption.
	OverheadFittedTo string `json:"overhead_fitted_to,omitempty"`
	Source           string `json:"source"` // where the specification figures come from
	Notes            string `json:"notes"`
}

//go:embed profiles.json
var profilesJSON []byte

// profilesFile is the shape of profiles.json.
type profilesFile struct {
	Comment  string    `json:"comment"`
	Profiles []Profile `json:"profiles"`
}

// Profiles returns the embedded reference profiles, in file order.
func Profiles() ([]Profile, error) {
	return ParseProfiles("profiles.json", profilesJSON)
}

// ParseProfiles decodes a profiles file ({"profiles": [...]}) strictly: unknown fields are
// errors, so a misspelt figure cannot silently become zero. Every profile is then validated
// and all problems are reported together, each naming the file, the profile and the field:
//
//	profiles.json: profiles[3] (rtx-3090): fp32_peak_gflops: missing
func ParseProfiles(file string, data []byte) ([]Profile, error) {
	var f profilesFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(f.Profiles) == 0 {
		return nil, fmt.Errorf("%s: profiles: missing", file)
	}
	var errs []error
	seen := map[string]bool{}
	for i, p := range f.Profiles {
		where := fmt.Sprintf("%s: profiles[%d]", file, i)
		if p.ID != "" {
			where += " (" + p.ID + ")"
		}
		for _, e := range validateProfile(p) {
			errs = append(errs, fmt.Errorf("%s: %s", where, e))
		}
		if p.ID != "" && seen[p.ID] {
			errs = append(errs, fmt.Errorf("%s: id: duplicate", where))
		}
		seen[p.ID] = true
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f.Profiles, nil
}

// validateProfile returns "field: problem" strings.
func validateProfile(p Profile) []string {
	var bad []string
	missing := func(field, v string) {
		if v == "" {
			bad = append(bad, field+": missing")
		}
	}
	missing("id", p.ID)
	missing("kind", p.Kind)
	missing("model", p.Model)
	if p.Kind != "" && p.Kind != "gpu" && p.Kind != "cpu" {
		bad = append(bad, fmt.Sprintf("kind: %q is neither \"gpu\" nor \"cpu\"", p.Kind))
	}
	// The peak divides every projection: it must be there.
	if p.FP32PeakGFLOPS == 0 {
		bad = append(bad, "fp32_peak_gflops: missing")
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"fp32_peak_gflops", p.FP32PeakGFLOPS}, {"bandwidth_gbs", p.BandwidthGBs},
		{"clock_mhz", p.ClockMHz}, {"memory_gb", p.MemoryGB}, {"step_overhead_us", p.StepOverheadUS},
	} {
		if f.v < 0 {
			bad = append(bad, fmt.Sprintf("%s: negative (%g)", f.name, f.v))
		}
	}
	return bad
}

// HostStepOverheadUS is the per-step overhead the calibrated host's profile assumes: the
// work of a CPU training step outside its GEMMs (waking worker threads, the element-wise
// passes, the optimizer's pass over the weights). Like the reference profiles' overheads it
// is an assumption, not a measurement; compare a real run's µs/sample with the projection.
const HostStepOverheadUS = 50

// HostProfileID is the id of HostProfile's profile.
const HostProfileID = "this-host"

// HostProfile turns a calibrated host into a profile (HostProfileID), so it is projected like
// the reference machines: its best calibrated sgemm rate as peak, its triad bandwidth, and
// HostStepOverheadUS. It is nil for a host without a calibration.
func HostProfile(h Host) *Profile {
	c := h.Calibration
	if c == nil {
		return nil
	}
	peak := 0.0
	for _, g := range c.SgemmGFLOPS {
		peak = max(peak, g)
	}
	return &Profile{
		ID: HostProfileID, Kind: "cpu", Model: h.CPUModel + " (calibrated)",
		FP32PeakGFLOPS: peak, BandwidthGBs: c.TriadGBs, StepOverheadUS: HostStepOverheadUS,
	}
}
