package scenarios

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"reflect"
	"testing"
)

func TestDefaults(t *testing.T) {
	in := []byte("name: minimal\n")
	s, err := Parse("minimal.yaml", in)
	if err != nil {
		t.Fatal(err)
	}
	want := &Scenario{
		Name:        "minimal",
		Engine:      EngineNative,
		Devices:     "cpu",
		Strategy:    StrategySingle,
		Replicas:    1,
		Reduction:   ReductionFast,
		MicroShard:  8,
		GlobalBatch: 32,
		Epochs:      5,
		Seed:        1,
		WarmupSteps: 20,
		Optimizer:   KerasAdam,
		Reference:   "keras-mnist-mirrored",
		Device:      DeviceSpec{Kind: "cpu", Threads: 1},
		File:        "minimal.yaml",
		Hash:        fmt.Sprintf("%x", sha256.Sum256(in)),
		Source:      string(in),
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", s, want)
	}
}

// TestExplicitZeroKept checks that defaults fill only absent fields.
func TestExplicitZeroKept(t *testing.T) {
	in := "name: z\nseed: 0\nwarmup_steps: 0\noptimizer:\n  beta_1: 0\ntargets:\n  - metric: train_accuracy\n    min: 0\n"
	s, err := Parse("z.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if s.Seed != 0 || s.WarmupSteps != 0 || s.Optimizer.Beta1 != 0 || s.Targets[0].ByEpoch != 5 {
		t.Errorf("got seed %d warmup %d beta_1 %v by_epoch %d", s.Seed, s.WarmupSteps, s.Optimizer.Beta1, s.Targets[0].ByEpoch)
	}
}

func TestReplicaDefaults(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"name: a\n", 1},
		{"name: a\ndevices: gpu:0-3\nstrategy: mirrored\n", 4},
		{"name: a\ndevices: gpu:all\nstrategy: mirrored\n", 0},
		{"name: a\ndevices: cpu\nstrategy: mirrored\nreplicas: 2\n", 2},
		{"name: a\ndevices: gpu:0\nstrategy: mirrored\n", 1},
	} {
		s, err := Parse("a.yaml", []byte(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if s.Replicas != tc.want {
			t.Errorf("%q: replicas %d, want %d", tc.in, s.Replicas, tc.want)
		}
	}
}

func TestExpand(t *testing.T) {
	s, err := Parse("sweep.yaml", []byte("name: sweep\nseeds: [3, 1, 2]\ntargets:\n  - metric: test_accuracy\n    min: 0.9\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Seed != 0 {
		t.Errorf("a sweep leaves Seed unset, got %d", s.Seed)
	}
	runs := s.Expand()
	if len(runs) != 3 {
		t.Fatalf("%d runs, want 3", len(runs))
	}
	for i, want := range []uint64{3, 1, 2} {
		r := runs[i]
		if r.Seed != want || r.Seeds != nil || r.Name != "sweep" {
			t.Errorf("run %d: seed %d seeds %v name %q", i, r.Seed, r.Seeds, r.Name)
		}
		if err := r.Validate(); err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
	runs[0].Targets[0].Min = 0.5 // copies must not share slices
	if s.Targets[0].Min != 0.9 || runs[1].Targets[0].Min != 0.9 {
		t.Error("Expand's copies share their targets")
	}
	one, _ := Lookup("smoke")
	if got := one.Expand(); len(got) != 1 || got[0] != one {
		t.Errorf("Expand without seeds = %v", got)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := fs.Glob(suiteFS, "*.yaml")
	for _, name := range files {
		data, _ := suiteFS.ReadFile(name)
		f.Add(data)
	}
	for _, cases := range [][]errorCase{errorCases, decodeCases, syntaxCases} {
		for _, tc := range cases {
			f.Add([]byte(tc.in))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T %q is not an *Error", err, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Validate after Parse: %v", err)
		}
		d, err := ParseDevices(s.Device.String())
		if err != nil || !reflect.DeepEqual(d, s.Device) {
			t.Fatalf("%q does not round-trip: %+v, %v", s.Device.String(), d, err)
		}
		if len(s.Expand()) == 0 {
			t.Fatal("Expand returned nothing")
		}
	})
}
