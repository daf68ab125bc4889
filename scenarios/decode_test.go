package scenarios

import (
	"bytes"
	"strconv"
	"testing"
)

// decodeCases are errors of the node decoder beyond errorCases: each is
// placed by its node, whatever yaml.v3's messages say.
var decodeCases = []errorCase{
	{"null key", "name: x\n~: 1\n", 2, "", "a key must be a field name, not null"},
	{"empty key with an anchor", "&a : x\nname: x\n", 1, "", "a key must be a field name, not null"},
	{"empty string key", "name: x\n\"\": 1\n", 2, "", "not an empty string"},
	{"tagged key", "name: x\n!!int epochs: 2\n", 2, "", `not an integer "epochs"`},
	{"mapping as key", "name: x\n? {a: 1}\n: 2\n", 2, "", "not a mapping"},
	{"nested key as key", "name: x\noptimizer:\n  ? [a]\n  : 1\n", 3, "optimizer", "not a list"},
	{"duplicate nested key", "name: x\noptimizer:\n  beta_1: 0.5\n  beta_1: 0.6\n", 4, "optimizer.beta_1", `mapping key "beta_1" already defined at line 3`},
	{"duplicate key in a target", "name: x\ntargets:\n  - metric: test_accuracy\n    min: 0.9\n    min: 0.8\n", 5, "targets[0].min", "already defined at line 4"},
	{"duplicate before unknown", "name: x\nbatch: 1\nname: y\n", 3, "name", "already defined at line 1"},
	{"value on the next line", "name: x\nepochs:\n  five\n", 3, "epochs", `want an integer, got a string "five"`},
	{"null list item", "name: x\nseeds: [1, ~]\n", 2, "seeds[1]", "null is not a value"},
	{"null mapping", "name: x\noptimizer:\n", 2, "optimizer", "has no value"},
	{"null in a target", "name: x\ntargets:\n  - metric:\n    min: 0.9\n", 3, "targets[0].metric", "has no value"},
	{"target not a mapping", "name: x\ntargets: [x]\n", 2, "targets[0]", `want a mapping of metric, min, by_epoch, got a string "x"`},
	{"seeds not a list", "name: x\nseeds: 3\n", 2, "seeds", `want a list of seeds, got an integer "3"`},
	{"targets not a list", "name: x\ntargets: {metric: test_accuracy}\n", 2, "targets", "want a list of targets, got a mapping"},
	{"quoted integer", "name: x\nepochs: \"3\"\n", 2, "epochs", `want an integer, got a string "3"`},
	{"empty string in an integer field", "name: x\nepochs: ''\n", 2, "epochs", "want an integer, got an empty string"},
	{"seed above uint64", "name: x\nseed: 18446744073709551616\n", 2, "seed", "want a non-negative integer"},
	{"fraction in a seed list", "name: x\nseeds: [1,\n  2.5]\n", 3, "seeds[1]", `want a non-negative integer, got a number "2.5"`},
	{"string for a number", "name: x\noptimizer: {epsilon: tiny}\n", 2, "optimizer.epsilon", `want a number, got a string "tiny"`},
	{"list for a string", "name: [x]\n", 1, "name", "want a string, got a list"},
	{"bad base64", "name: x\ndescription: !!binary '@@'\n", 2, "description", "want a string, got binary data"},
	{"hidden field", "name: x\nhash: abc\n", 2, "hash", "unknown field"},
}

func TestDecodeErrors(t *testing.T) {
	testErrors(t, decodeCases)
}

// syntaxCases are syntax errors, each on the line where the file stops
// being YAML, which is found without reading yaml.v3's line numbers.
var syntaxCases = []errorCase{
	{"unclosed quote", "name: \"x\nepochs: 2\n", 1, "", "YAML syntax"},
	{"unclosed list", "name: x\nseeds: [1,\n  2,\n  3\nepochs: 2\n", 4, "", "did not find expected ',' or ']'"},
	{"indentation", "name: x\noptimizer:\n  name: adam\n    beta_1: 0.9\n", 4, "", "mapping values are not allowed"},
	{"block scalar", "name: x\ndescription: |\n  a\n b: c\n", 4, "", "did not find expected key"},
	{"tab", "name: x\noptimizer:\n\tname: adam\n", 3, "", "YAML syntax"},
	{"CR line breaks", "name: x\repochs: @1\r", 2, "", "cannot start any token"},
	{"CRLF line breaks", "name: x\r\n\r\nepochs: @1\r\n", 3, "", "cannot start any token"},
	{"invalid UTF-8", "name: x\ndescription: \xff\n", 2, "", "UTF-8"},
	{"anchor defined after use", "description: *n\nname: &n x\n", 1, "", "unknown anchor 'n'"},
	{"second document", "name: x\n---\n[\n", 3, "", "YAML syntax"},
	{"directive", "%YAML 1.1\n%YAML 1.1\n---\nname: x\n", 2, "", "duplicate %YAML directive"},
}

func TestSyntaxErrors(t *testing.T) {
	testErrors(t, syntaxCases)
}

// TestSyntaxLineLongFile checks that syntax errors in a long file are
// placed, and quickly: parsing every prefix of it would take a minute.
func TestSyntaxLineLongFile(t *testing.T) {
	var long []byte
	for i := 0; len(long) < 256<<10; i++ {
		long = append(long, "description"+strconv.Itoa(i)+": some text to make the file long\n"...)
	}
	n := bytes.Count(long, []byte("\n"))
	testErrors(t, []errorCase{
		{"early", "name: x\nepochs: @1\n" + string(long), 2, "", "cannot start any token"},
		{"unclosed quote", "name: \"x\n" + string(long), 1, "", "YAML syntax"},
		{"late", "name: x\n" + string(long) + "epochs: @1\n", n + 2, "", "cannot start any token"},
	})
}
