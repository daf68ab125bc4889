package scenarios

import (
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// typeWords describes a Go type of the format in the file's terms. path
// names the field, whose name says what a list holds.
func typeWords(t reflect.Type, path string) string {
	switch t.Kind() {
	case reflect.Int:
		return "an integer"
	case reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Struct:
		return "a mapping of " + strings.Join(yamlFields(t), ", ")
	case reflect.Slice:
		return "a list of " + path[strings.LastIndexByte(path, '.')+1:]
	}
	return t.String()
}

// tagWords are the words for the values of a YAML tag.
var tagWords = map[string]string{
	"!!str": "a string", "!!int": "an integer", "!!float": "a number",
	"!!bool": "a boolean", "!!seq": "a list", "!!map": "a mapping",
	"!!null": "null", "!!timestamp": "a timestamp", "!!binary": "binary data",
}

// nodeWords describes what the file holds at n: the words for its tag
// and, for a scalar, its text, cut to 7 bytes and "..." when longer than
// 10 (as yaml.v3 quotes values).
func nodeWords(n *yaml.Node) string {
	tag := n.ShortTag()
	w, ok := tagWords[tag]
	if !ok {
		w = tag
	}
	text := n.Value
	switch {
	case n.Kind == yaml.ScalarNode && text == "" && tag == strTag:
		return "an empty string"
	case n.Kind != yaml.ScalarNode || text == "":
		return w
	}
	if len(text) > 10 {
		cut := 7
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "..."
	}
	return w + " " + strconv.Quote(text)
}
