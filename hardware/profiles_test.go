package hardware

import (
	"math"
	"strings"
	"testing"
)

func TestProfilesEmbedded(t *testing.T) {
	ps, err := Profiles()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gtx-1080-ti", "i7-9700k", "rtx-3090", "a100-40gb", "a100-80gb", "h100-sxm", "h200-sxm", "epyc-7763", "apple-m1"}
	if len(ps) != len(want) {
		t.Fatalf("got %d profiles, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		if p.ID != want[i] {
			t.Errorf("profiles[%d].ID = %q, want %q", i, p.ID, want[i])
		}
		if p.Source == "" || !strings.Contains(p.Notes, "ASSUMPTION") {
			t.Errorf("%s: want a source and the overhead stated as an ASSUMPTION in notes", p.ID)
		}
	}
	// Peaks that are units x 2 FLOP x clock must agree with their parts.
	for _, c := range []struct {
		id    string
		units float64 // FP32 FLOP per cycle
	}{
		{"gtx-1080-ti", 3584 * 2}, {"i7-9700k", 8 * 32}, {"rtx-3090", 10496 * 2}, {"epyc-7763", 64 * 32}, {"h100-sxm", 16896 * 2},
	} {
		p := profileByID(t, c.id)
		if got := c.units * p.ClockMHz / 1e3; math.Abs(got-p.FP32PeakGFLOPS)/p.FP32PeakGFLOPS > 0.005 {
			t.Errorf("%s: units x clock = %.1f GFLOP/s, profile says %.1f", c.id, got, p.FP32PeakGFLOPS)
		}
	}
}

// profileByID is the embedded profile with the given id; the test fails without one.
func profileByID(t *testing.T, id string) Profile {
	t.Helper()
	ps, err := Profiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no profile %q", id)
	return Profile{}
}

func TestParseProfilesRejects(t *testing.T) {
	ok := `{"id":"a","kind":"gpu","model":"A","fp32_peak_gflops":1}`
	for _, tc := range []struct {
		name, data, want string
	}{
		{"missing peak", `{"profiles":[` + ok + `,` + ok[:len(ok)-1] + `,"id":"b"},{"id":"c","kind":"cpu","model":"C","fp32_peak_gflops":1},{"id":"rtx-3090","kind":"gpu","model":"RTX","bandwidth_gbs":936}]}`,
			"profiles.json: profiles[3] (rtx-3090): fp32_peak_gflops: missing"},
		{"negative bandwidth", `{"profiles":[{"id":"x","kind":"gpu","model":"X","fp32_peak_gflops":1,"bandwidth_gbs":-1}]}`,
			"profiles.json: profiles[0] (x): bandwidth_gbs: negative (-1)"},
		{"missing id", `{"profiles":[{"kind":"gpu","model":"X","fp32_peak_gflops":1}]}`,
			"profiles.json: profiles[0]: id: missing"},
		{"missing model", `{"profiles":[{"id":"x","kind":"gpu","fp32_peak_gflops":1}]}`,
			"profiles.json: profiles[0] (x): model: missing"},
		{"missing kind", `{"profiles":[{"id":"x","model":"X","fp32_peak_gflops":1}]}`,
			"profiles.json: profiles[0] (x): kind: missing"},
		{"bad kind", `{"profiles":[{"id":"x","kind":"tpu","model":"X","fp32_peak_gflops":1}]}`,
			`profiles.json: profiles[0] (x): kind: "tpu" is neither`},
		{"duplicate id", `{"profiles":[` + ok + `,` + ok + `]}`,
			"profiles.json: profiles[1] (a): id: duplicate"},
		{"unknown field", `{"profiles":[{"id":"x","kind":"gpu","model":"X","fp32_peak_gflop":1}]}`,
			`profiles.json: json: unknown field "fp32_peak_gflop"`},
		{"empty", `{"profiles":[]}`, "profiles.json: profiles: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseProfiles("profiles.json", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseProfilesAccepts(t *testing.T) {
	ps, err := ParseProfiles("p.json", []byte(`{"profiles":[{"id":"x","kind":"cpu","model":"X","fp32_peak_gflops":100}]}`))
	if err != nil || len(ps) != 1 || ps[0].FP32PeakGFLOPS != 100 {
		t.Fatalf("got %+v, %v", ps, err)
	}
}
