package scenarios

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestHelpDocumentsEveryField(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[Scenario](), reflect.TypeFor[Optimizer](), reflect.TypeFor[Target]()} {
		for _, f := range yamlFields(typ) {
			if !strings.Contains(Help, " "+f+": ") {
				t.Errorf("Help does not document %s", f)
			}
		}
	}
}

// TestHelpKerasDefaults checks that the optimizer defaults Help shows are
// KerasAdam's, the defaults Parse applies.
func TestHelpKerasDefaults(t *testing.T) {
	_, block, _ := strings.Cut(Help, " optimizer: ")
	block, _, _ = strings.Cut(block, " targets: ")
	if got := helpDefault(t, block, "name"); got != KerasAdam.Name {
		t.Errorf("Help: optimizer name defaults to %q, KerasAdam.Name is %q", got, KerasAdam.Name)
	}
	for field, want := range map[string]float64{
		"learning_rate": KerasAdam.LearningRate, "beta_1": KerasAdam.Beta1,
		"beta_2": KerasAdam.Beta2, "epsilon": KerasAdam.Epsilon,
	} {
		got, err := strconv.ParseFloat(helpDefault(t, block, field), 64)
		if err != nil || got != want {
			t.Errorf("Help: %s defaults to %v (%v), KerasAdam has %v", field, got, err, want)
		}
	}
}

// helpDefault is the value of "(default VALUE" on field's line of text.
func helpDefault(t *testing.T, text, field string) string {
	t.Helper()
	for line := range strings.Lines(text) {
		_, doc, ok := strings.Cut(line, " "+field+": ")
		if !ok {
			continue
		}
		if _, def, ok := strings.Cut(doc, "(default "); ok {
			if end := strings.IndexAny(def, ",;)"); end >= 0 {
				return def[:end]
			}
		}
	}
	t.Fatalf("Help documents no default for %s", field)
	return ""
}

// TestHelpExample parses the example of Help, which takes the rest of the
// Keras defaults.
func TestHelpExample(t *testing.T) {
	_, example, ok := strings.Cut(Help, "\nEXAMPLE\n")
	if !ok {
		t.Fatal("Help has no EXAMPLE")
	}
	var yaml strings.Builder
	for line := range strings.Lines(example) {
		yaml.WriteString(strings.TrimPrefix(line, "  "))
	}
	s, err := Parse("help-example.yaml", []byte(yaml.String()))
	if err != nil {
		t.Fatal(err)
	}
	if s.Optimizer != KerasAdam {
		t.Errorf("example optimizer %+v, want %+v", s.Optimizer, KerasAdam)
	}
}
