package scenarios

import (
	"strings"
	"testing"
)

// errorCase is a bad file and where the error must point.
type errorCase = struct {
	name  string
	in    string
	line  int
	field string
	msg   string // a substring of Error.Msg
}

// errorCases each hold a bad file and where the error must point.
var errorCases = []errorCase{
	{"unknown key", "name: x\nbatch_size: 32\n", 2, "batch_size", "unknown field; known fields: name, description"},
	{"unknown nested key", "name: x\noptimizer:\n  name: adam\n  momentum: 0.9\n", 4, "optimizer.momentum", "known fields: name, learning_rate"},
	{"unknown target key", "name: x\ntargets:\n  - metric: test_accuracy\n    max: 0.9\n", 4, "targets[0].max", "unknown field"},
	{"wrong type", "name: x\nepochs: five\n", 2, "epochs", `want an integer, got a string "five"`},
	{"wrong type in flow list", "name: x\nseeds: [1, 2, x]\n", 2, "seeds[2]", `want a non-negative integer, got a string "x"`},
	{"wrong type long value", "name: x\nglobal_batch: thirty-two-ish\n", 2, "global_batch", `got a string "thirty-..."`},
	{"wrong type nested", "name: x\ntargets:\n  - metric: test_accuracy\n    min: high\n", 4, "targets[0].min", "want a number"},
	{"wrong type struct", "name: x\noptimizer: adam\n", 2, "optimizer", "want a mapping of name, learning_rate"},
	{"wrong type list", "name: x\nepochs:\n  - 1\n", 3, "epochs", "want an integer, got a list"},
	{"wrong type multi-line value", "name: x\nepochs: \"a\\nb\"\n", 2, "epochs", "got a string \"a\\nb\""},
	{"first of several type errors", "name: x\nepochs: a\nglobal_batch: b\n", 2, "epochs", "want an integer"},
	{"fraction in integer field", "name: x\nepochs: 1.5\n", 2, "epochs", `want an integer, got a number "1.5"`},
	{"negative seed", "name: x\nseed: -1\n", 2, "seed", "want a non-negative integer"},
	{"null value", "name: x\nepochs:\n", 2, "epochs", "has no value"},
	{"duplicate key", "name: x\nepochs: 1\nepochs: 2\n", 3, "epochs", "already defined at line 2"},
	{"alias", "name: &n x\ndescription: *n\n", 2, "description", "aliases"},
	{"unknown anchor", "name: x\n\ndescription: *nope\n", 3, "", "unknown anchor"},
	{"alias as key", "name: &k epochs\n*k : 2\n", 2, "", "aliases"},
	{"merge key", "name: x\noptimizer:\n  <<: {name: adam}\n", 3, "optimizer", "merge keys"},
	{"not a mapping", "- name: x\n", 1, "", "a scenario file is a mapping"},
	{"two documents", "name: x\n---\nname: y\n", 2, "", "one YAML document"},
	{"missing name", "# no name\nepochs: 2\n", 2, "name", "missing"},
	{"bad name", "name: Big_Name\n", 1, "name", "lowercase"},
	{"empty file", "", 1, "", "empty file"},
	{"comments only", "# nothing here\n", 1, "", "empty file"},
	{"null document", "---\n~\n", 2, "", "empty file"},
	{"syntax error", "name: x\nepochs: [1, 2\nseed: 3\n", 2, "", "YAML syntax"},
	{"syntax error on line 1", "name: [x\n", 1, "", "YAML syntax"},
	{"syntax error in block mapping", "name: x\nengine: native\n- a\n", 3, "", "did not find expected key"},
	{"syntax error in scanner", "name: x\nepochs: @1\n", 2, "", "cannot start any token"},
	{"syntax error indentation", "name: x\n  engine: native\n", 2, "", "YAML syntax: mapping values are not allowed"},
	{"unknown engine", "name: x\nengine: tensorflow\n", 2, "engine", `unknown engine "tensorflow"; want gorgonia, native, opencl or pytorch`},
	{"unknown device", "name: x\ndevices: tpu:0\n", 2, "devices", `unknown device "tpu:0"`},
	{"malformed device", "name: x\ndevices: cpu:x\n", 2, "devices", `cpu:x: "x" is not a number`},
	{"shared cpu", "name: x\ndevices: cpu:0x2\n", 2, "devices", `only gpu and cl devices are shared`},
	{"bad shared count", "name: x\nengine: opencl\ndevices: gpu:0x0\nstrategy: mirrored\n", 3, "devices", `replica count in "0x0" must be >= 1`},
	{"opencl on cpu", "name: x\nengine: opencl\ndevices: cpu:2\n", 3, "devices", "engine opencl runs on OpenCL devices"},
	{"opencl default devices", "name: x\nengine: opencl\n", 2, "devices", "engine opencl runs on OpenCL devices"},
	{"cl without opencl", "name: x\ndevices: cl:0\n", 2, "devices", "cl:0 (any OpenCL device) needs engine opencl, not native"},
	{"shared without opencl", "name: x\nengine: native\ndevices: gpu:0x2\nstrategy: mirrored\n", 3, "devices", "only engine opencl does"},
	{"cl:all single", "name: x\nengine: opencl\ndevices: cl:all\n", 3, "devices", "cl:all needs strategy mirrored"},
	{"shared single", "name: x\nengine: opencl\ndevices: gpu:0x2\n", 3, "devices", "lists 2 devices but strategy single"},
	{"shared replicas mismatch", "name: x\nengine: opencl\ndevices: gpu:0x2\nstrategy: mirrored\nreplicas: 4\n", 5, "replicas", "4 does not match the 2 devices"},
	{"unknown strategy", "name: x\nstrategy: parameter-server\n", 2, "strategy", "want single or mirrored"},
	{"unknown reduction", "name: x\nreduction: nccl\n", 2, "reduction", "want fast or canonical"},
	{"pytorch with canonical", "name: x\nengine: pytorch\nreduction: canonical\n", 3, "reduction", "engine pytorch reduces with DistributedDataParallel's all-reduce"},
	{"unknown optimizer", "name: x\noptimizer:\n  name: sgd\n", 3, "optimizer.name", `unknown optimizer "sgd"; want adam`},
	{"unknown metric", "name: x\ntargets:\n  - metric: test_loss\n    min: 0.1\n", 3, "targets[0].metric", `unknown metric "test_loss"`},
	{"missing metric", "name: x\ntargets:\n  - min: 0.9\n", 3, "targets[0].metric", "missing"},
	{"missing min", "name: x\ntargets:\n  - metric: test_accuracy\n", 3, "targets[0].min", "missing"},
	{"epochs 0", "name: x\nepochs: 0\n", 2, "epochs", "0 is below 1"},
	{"batch not divisible", "name: x\nengine: native\ndevices: cpu:0-3\nstrategy: mirrored\nreplicas: 4\nglobal_batch: 30\n", 6, "global_batch", "30 is not divisible by replicas (4)"},
	{"default batch not divisible", "name: x\ndevices: cpu:0-2\nstrategy: mirrored\n", 2, "global_batch", "32 is not divisible by replicas (3)"},
	{"target min above 1", "name: x\ntargets:\n  - metric: test_accuracy\n    min: 1.5\n", 4, "targets[0].min", "1.5 is outside [0, 1]"},
	{"target min below 0", "name: x\ntargets:\n  - metric: train_accuracy\n    min: -0.1\n", 4, "targets[0].min", "outside [0, 1]"},
	{"by_epoch above epochs", "name: x\nepochs: 2\ntargets:\n  - metric: test_accuracy\n    min: 0.9\n    by_epoch: 3\n", 6, "targets[0].by_epoch", "3 is outside 1..2 (epochs)"},
	{"by_epoch 0", "name: x\ntargets:\n  - metric: test_accuracy\n    min: 0.9\n  - metric: test_accuracy\n    min: 0.9\n    by_epoch: 0\n", 7, "targets[1].by_epoch", "outside 1..5"},
	{"seeds with seed", "name: x\nseed: 3\nseeds: [1, 2]\n", 3, "seeds", "set either seed or seeds, not both (seed is at line 2)"},
	{"seeds empty", "name: x\nseeds: []\n", 2, "seeds", "empty list"},
	{"seeds duplicate", "name: x\nseeds: [1, 2, 1]\n", 2, "seeds[2]", "seed 1 is listed twice"},
	{"single with a device list", "name: x\ndevices: gpu:0,1\n", 2, "devices", "strategy single runs one replica"},
	{"single with gpu:all", "name: x\ndevices: gpu:all\n", 2, "devices", "needs strategy mirrored"},
	{"single with replicas 2", "name: x\nreplicas: 2\n", 2, "replicas", "strategy single runs 1 replica, not 2"},
	{"mirrored replicas mismatch", "name: x\ndevices: gpu:0,1\nstrategy: mirrored\nreplicas: 4\n", 4, "replicas", "4 does not match the 2 devices of gpu:0,1"},
	{"mirrored gpu:all with replicas", "name: x\ndevices: gpu:all\nstrategy: mirrored\nreplicas: 2\n", 4, "replicas", "gpu:all takes the replica count"},
	{"mirrored thread form", "name: x\ndevices: cpu:4\nstrategy: mirrored\nreplicas: 4\n", 2, "devices", "not the thread count cpu:4"},
	{"mirrored cpu without replicas", "name: x\nstrategy: mirrored\n", 2, "replicas", "needs replicas >= 1"},
	{"micro_shard with fast", "name: x\nmicro_shard: 4\n", 2, "micro_shard", "applies only to reduction canonical"},
	{"micro_shard does not divide", "name: x\nreduction: canonical\nglobal_batch: 20\n", 3, "micro_shard", "8 does not divide global_batch (20)"},
	{"micro-shards do not split", "name: x\ndevices: cpu:0-3\nstrategy: mirrored\nreduction: canonical\nglobal_batch: 24\n", 5, "micro_shard", "3 micro-shards of 8, which do not split evenly over 4 replicas"},
	{"train_limit too big", "name: x\ntrain_limit: 60001\n", 2, "train_limit", "outside"},
	{"train_limit below batch", "name: x\ntrain_limit: 16\n", 2, "train_limit", "16 images make no full batch of 32"},
	{"warmup too long", "name: x\ntrain_limit: 320\n", 2, "warmup_steps", "20 leaves no step to measure: an epoch has 10 steps"},
	{"negative warmup", "name: x\nwarmup_steps: -1\n", 2, "warmup_steps", "below 0"},
	{"learning rate 0", "name: x\noptimizer:\n  learning_rate: 0\n", 3, "optimizer.learning_rate", "> 0"},
	{"beta_1 1", "name: x\noptimizer:\n  beta_1: 1\n", 3, "optimizer.beta_1", "outside [0, 1)"},
	{"epsilon nan", "name: x\noptimizer:\n  epsilon: .nan\n", 3, "optimizer.epsilon", "> 0"},
	{"bad reference", "name: x\nreference: Keras Doc\n", 2, "reference", "not a result id"},
}

func TestParseErrors(t *testing.T) {
	testErrors(t, errorCases)
}

// testErrors parses each case's file and checks the error it returns.
func testErrors(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("my.yaml", []byte(tc.in))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", s)
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T %q is not an *Error", err, err)
			}
			if e.File != "my.yaml" || e.Line != tc.line || e.Field != tc.field {
				t.Errorf("got %s:%d field %q, want my.yaml:%d field %q (%s)", e.File, e.Line, e.Field, tc.line, tc.field, e)
			}
			if !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", e.Msg, tc.msg)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	_, err := Parse("my.yaml", []byte("name: x\nengine: native\ndevices: cpu:0-3\nstrategy: mirrored\nreplicas: 4\n\nglobal_batch: 30\n"))
	want := "my.yaml:7: global_batch: 30 is not divisible by replicas (4)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "a.yaml", Line: 1, Msg: "empty file"}, "a.yaml:1: empty file"},
		{Error{File: "a.yaml", Field: "epochs", Msg: "0 is below 1"}, "a.yaml: epochs: 0 is below 1"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
