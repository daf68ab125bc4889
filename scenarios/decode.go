package scenarios

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Tags the decoder tells apart.
const (
	nullTag = "!!null"
	intTag  = "!!int"
	strTag  = "!!str"
)

// decode fills s from the indexed node tree, field by field, and reports
// the first problem at the node it is about: a duplicate or unknown key, a
// null, a value of the wrong kind. The fields are those of s's yaml tags.
func decode(file string, idx *index, s *Scenario) (err error) {
	defer func() {
		// Node.Decode recovers yaml.v3's own failures; this guards the
		// contract that Parse never panics on bad input if it misses one.
		if r := recover(); r != nil {
			err = &Error{File: file, Msg: fmt.Sprintf("cannot decode YAML: %v", r)}
		}
	}()
	d := decoder{file: file}
	if e := d.mapping(idx.root, "", reflect.ValueOf(s).Elem()); e != nil {
		return e
	}
	return nil
}

// decoder decodes nodes into the Go values of the format. Scalars are
// decoded by yaml.v3 itself (Node.Decode), so a value means what it means
// to yaml.v3; integer fields also demand an !!int, where yaml.v3 would
// truncate 1.5.
type decoder struct{ file string }

func (d decoder) errorf(n *yaml.Node, path, format string, args ...any) *Error {
	return &Error{File: d.file, Line: n.Line, Field: path, Msg: fmt.Sprintf(format, args...)}
}

// value decodes n, the value of the field or list item at path, into v.
// key is the field's key, nil for a list item.
func (d decoder) value(n *yaml.Node, path string, v reflect.Value, key *yaml.Node) *Error {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == nullTag {
		if key != nil {
			return d.errorf(key, path, "has no value; remove the line to use the default")
		}
		return d.errorf(n, path, "null is not a value")
	}
	switch v.Kind() {
	case reflect.Struct:
		return d.mapping(n, path, v)
	case reflect.Slice:
		return d.sequence(n, path, v)
	}
	return d.scalar(n, path, v)
}

// mapping decodes a mapping into the struct v, by the fields' yaml tags.
func (d decoder) mapping(n *yaml.Node, path string, v reflect.Value) *Error {
	if n.Kind != yaml.MappingNode {
		return d.typeError(n, path, v.Type())
	}
	if err := d.duplicates(n, path); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != strTag || k.Value == "" {
			return d.errorf(k, path, "a key must be a field name, not %s", nodeWords(k))
		}
		f, ok := fieldIndex(v.Type(), k.Value)
		if !ok {
			return d.errorf(k, join(path, k.Value), "unknown field; known fields: %s", strings.Join(yamlFields(v.Type()), ", "))
		}
		if err := d.value(val, join(path, k.Value), v.Field(f), k); err != nil {
			return err
		}
	}
	return nil
}

// duplicates rejects a key that the mapping n already has. Like yaml.v3,
// it looks at every key of a mapping before decoding any of its values.
func (d decoder) duplicates(n *yaml.Node, path string) *Error {
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if first, dup := seen[k.Value]; dup {
			return d.errorf(k, join(path, k.Value), "mapping key %q already defined at line %d", k.Value, first.Line)
		}
		seen[k.Value] = k
	}
	return nil
}

// sequence decodes a list into the slice v. Like yaml.v3, it makes a
// slice even for an empty list.
func (d decoder) sequence(n *yaml.Node, path string, v reflect.Value) *Error {
	if n.Kind != yaml.SequenceNode {
		return d.typeError(n, path, v.Type())
	}
	list := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, it := range n.Content {
		if err := d.value(it, item(path, i), list.Index(i), nil); err != nil {
			return err
		}
	}
	v.Set(list)
	return nil
}

// scalar decodes a scalar into the string, integer or number v.
func (d decoder) scalar(n *yaml.Node, path string, v reflect.Value) *Error {
	integer := v.CanInt() || v.CanUint()
	if n.Kind != yaml.ScalarNode || integer && n.ShortTag() != intTag || n.Decode(v.Addr().Interface()) != nil {
		return d.typeError(n, path, v.Type())
	}
	return nil
}

// typeError reports that n cannot be decoded into a t. Only the node is
// read, never yaml.v3's message.
func (d decoder) typeError(n *yaml.Node, path string, t reflect.Type) *Error {
	return d.errorf(n, path, "want %s, got %s", typeWords(t, path), nodeWords(n))
}

// yamlFields lists the yaml names of the struct type t, in order.
func yamlFields(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if name := yamlName(f); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// fieldIndex is the index of the field of the struct type t called name in
// the file.
func fieldIndex(t reflect.Type, name string) (int, bool) {
	for i := range t.NumField() {
		if n := yamlName(t.Field(i)); n != "" && n == name {
			return i, true
		}
	}
	return 0, false
}

// yamlName is f's name in the file, "" for a field the file cannot set.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}
