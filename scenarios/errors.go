package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a problem with a scenario file, located by file, line and field.
type Error struct {
	File  string // the file as given to Parse
	Line  int    // 1-based; 0 when unknown
	Field string // dotted path such as "targets[0].min"; "" for the file as a whole
	Msg   string
}

// Error formats e as FILE:LINE: FIELD: MSG, leaving out the parts it lacks.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// entry is one field or list item of the file, with the nodes that place it.
type entry struct {
	path string
	key  *yaml.Node // nil for list items
	val  *yaml.Node
}

// line is where the entry starts: its key, or for a list item its value.
func (e entry) line() int {
	if e.key != nil {
		return e.key.Line
	}
	return e.val.Line
}

// index maps the file's fields to their nodes. yaml.v3 reports only a line
// for type errors and none for our own checks, so the node tree is what
// turns a line into a field and a field into a line.
type index struct {
	root    *yaml.Node // the top-level mapping
	entries []entry    // in document order
	byPath  map[string]entry
}

// decodeNodes parses data into a node tree and indexes it. It reports
// syntax errors, empty files, more than one document, a top level that is
// not a mapping, aliases and merge keys.
func decodeNodes(file string, data []byte) (idx *index, err error) {
	defer func() {
		// yaml.v3 recovers its own failures; this guards the contract that
		// Parse never panics on bad input if it misses one.
		if r := recover(); r != nil {
			idx, err = nil, &Error{File: file, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return nil, &Error{File: file, Line: 1, Msg: "empty file; a scenario needs at least a name"}
	} else if err != nil {
		return nil, syntaxError(file, data, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, &Error{File: file, Line: next.Line, Msg: "a scenario file holds one YAML document; found another"}
	} else if err != io.EOF {
		return nil, syntaxError(file, data, err)
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, &Error{File: file, Line: root.Line, Msg: "empty file; a scenario needs at least a name"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: root.Line, Msg: "a scenario file is a mapping of fields (name: ..., engine: ...)"}
	}
	idx = &index{root: root, byPath: map[string]entry{}}
	if err := idx.walk(file, "", root); err != nil {
		return nil, err
	}
	return idx, nil
}

// walk records every key and list item under n.
func (idx *index) walk(file, path string, n *yaml.Node) error {
	switch n.Kind {
	case yaml.AliasNode:
		return aliasError(file, path, n)
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			if k.Kind == yaml.AliasNode {
				return aliasError(file, path, k)
			}
			if k.Value == "<<" {
				return &Error{File: file, Line: k.Line, Field: path, Msg: "YAML merge keys (<<) are not supported; write the fields out"}
			}
			if err := idx.add(file, entry{path: p, key: k, val: v}); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if err := idx.add(file, entry{path: p, val: v}); err != nil {
				return err
			}
		}
	}
	return nil
}

// aliasError rejects an alias. Following aliases would let the file set a
// field without its key being present (defeating presence-based defaults)
// and invites alias bombs; scenario files are small enough not to need them.
func aliasError(file, path string, n *yaml.Node) *Error {
	return &Error{File: file, Line: n.Line, Field: path, Msg: "YAML aliases (*" + n.Value + ") are not supported; write the value out"}
}

func (idx *index) add(file string, e entry) error {
	idx.entries = append(idx.entries, e)
	if _, dup := idx.byPath[e.path]; !dup {
		idx.byPath[e.path] = e // a duplicate key is reported by yaml.v3 later
	}
	return idx.walk(file, e.path, e.val)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// present reports whether the file sets path.
func (idx *index) present(path string) bool {
	if idx == nil {
		return false
	}
	_, ok := idx.byPath[path]
	return ok
}

// line is the line of path, or of its nearest present parent, or of the
// top-level mapping: an absent field is blamed on what encloses it.
func (idx *index) line(path string) int {
	if idx == nil {
		return 0
	}
	for p := path; p != ""; p = parent(p) {
		if e, ok := idx.byPath[p]; ok {
			return e.line()
		}
	}
	return idx.root.Line
}

// parent strips the last component of a path: "a.b[1]" -> "a.b" -> "a".
func parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

var (
	lineRE      = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
	syntaxRE    = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)
	unknownRE   = regexp.MustCompile(`^field (.*) not found in type (\S+)$`)
	unmarshalRE = regexp.MustCompile("(?s)^cannot unmarshal (\\S+)(?: `(.*)`)? into (.+)$")
)

// parserProblems are the messages of yaml.v3's parser, as opposed to its
// scanner. yaml.v3 reports a parser error's line 0-based (a scanner error's
// 1-based), and either kind without a line when it is on the first line.
var parserProblems = []string{
	"did not find expected <stream-start>", "did not find expected <document start>",
	"did not find expected node content", "did not find expected '-' indicator",
	"did not find expected key", "did not find expected ',' or ']'",
	"did not find expected ',' or '}'", "found undefined tag handle",
	"found duplicate %YAML directive", "found duplicate %TAG directive",
	"found incompatible YAML document",
}

// decoderProblems are yaml.v3's errors that are not about a place in the
// text; they carry no line, and none is made up for them.
var decoderProblems = []string{"excessive aliasing", "contains itself", "past the end of stream"}

// syntaxError converts a yaml.v3 parse error ("yaml: line N: msg"). An
// error found at the end of the input is put on the file's last line.
func syntaxError(file string, data []byte, err error) *Error {
	m := syntaxRE.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{File: file, Msg: "YAML syntax: " + err.Error()}
	}
	line, msg := 1, m[2]
	switch {
	case m[1] != "":
		line, _ = strconv.Atoi(m[1])
		if slices.Contains(parserProblems, msg) {
			line++
		}
	case anchorRE.MatchString(msg):
		line = lineOf(data, "*"+anchorRE.FindStringSubmatch(msg)[1])
	case slices.ContainsFunc(decoderProblems, func(p string) bool { return strings.Contains(msg, p) }):
		line = 0
	}
	if n := countLines(data); line > n {
		line = n
	}
	return &Error{File: file, Line: line, Msg: "YAML syntax: " + msg}
}

var anchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// lineOf is the line where text first occurs in data, or 0.
func lineOf(data []byte, text string) int {
	i := bytes.Index(data, []byte(text))
	if i < 0 {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

func countLines(data []byte) int {
	n := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return max(n, 1)
}

// decodeStrict decodes data into s, rejecting unknown fields, and converts
// the first yaml.v3 error into an *Error located through idx.
func decodeStrict(file string, data []byte, idx *index, s *Scenario) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &Error{File: file, Msg: fmt.Sprintf("cannot decode YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err = dec.Decode(s)
	var te *yaml.TypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && len(te.Errors) > 0:
		return idx.typeError(file, te.Errors[0])
	}
	return syntaxError(file, data, err)
}

// typeError converts one of yaml.v3's "line N: ..." messages.
func (idx *index) typeError(file, msg string) *Error {
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return &Error{File: file, Msg: msg}
	}
	line, _ := strconv.Atoi(m[1])
	e := &Error{File: file, Line: line, Msg: m[2]}
	if u := unknownRE.FindStringSubmatch(m[2]); u != nil {
		e.Field = idx.keyAt(line, u[1])
		e.Msg = "unknown field" + knownFields(u[2])
	} else if u := unmarshalRE.FindStringSubmatch(m[2]); u != nil {
		e.Field = idx.valueAt(line, u[1], u[2])
		e.Msg = fmt.Sprintf("want %s, got %s", goTypeWords(u[3]), tagWords(u[1], u[2]))
	} else {
		e.Field = idx.keyAt(line, "")
	}
	return e
}

// keyAt finds the path of the key named name (any key if name is "") on line.
func (idx *index) keyAt(line int, name string) string {
	for _, e := range idx.entries {
		if e.key != nil && e.key.Line == line && (name == "" || e.key.Value == name) {
			return e.path
		}
	}
	return ""
}

// valueAt finds the value yaml.v3 could not decode: on line, of the kind its
// tag names and, for scalars, with the text it quotes (cut to 7 characters
// and "..." when long). Several values can share a line ("seeds: [1, x]").
func (idx *index) valueAt(line int, tag, text string) string {
	kind := yaml.ScalarNode
	switch tag {
	case "!!seq":
		kind = yaml.SequenceNode
	case "!!map":
		kind = yaml.MappingNode
	}
	var sameKind string
	for _, e := range idx.entries {
		if e.val.Line != line || e.val.Kind != kind {
			continue
		}
		if kind != yaml.ScalarNode || e.val.Value == text ||
			strings.HasSuffix(text, "...") && strings.HasPrefix(e.val.Value, strings.TrimSuffix(text, "...")) {
			return e.path
		}
		if sameKind == "" {
			sameKind = e.path
		}
	}
	if sameKind != "" {
		return sameKind
	}
	return idx.keyAt(line, "")
}

// structTypes are the types yaml.v3 names in its messages.
var structTypes = map[string]reflect.Type{
	"scenarios.Scenario":  reflect.TypeFor[Scenario](),
	"scenarios.Optimizer": reflect.TypeFor[Optimizer](),
	"scenarios.Target":    reflect.TypeFor[Target](),
}

// knownFields lists the yaml names of a struct type named by yaml.v3.
func knownFields(typeName string) string {
	t, ok := structTypes[typeName]
	if !ok {
		return ""
	}
	return "; known fields: " + strings.Join(yamlFields(t), ", ")
}

func yamlFields(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// goTypeWords describes a Go type of the format in the file's terms.
func goTypeWords(t string) string {
	switch t {
	case "int":
		return "an integer"
	case "uint64":
		return "a non-negative integer"
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "[]uint64":
		return "a list of seeds"
	case "[]scenarios.Target":
		return "a list of targets"
	}
	if st, ok := structTypes[t]; ok {
		return "a mapping of " + strings.Join(yamlFields(st), ", ")
	}
	return t
}

// tagWords describes what the file holds, from a YAML tag and its text.
func tagWords(tag, text string) string {
	words := map[string]string{
		"!!str": "a string", "!!int": "an integer", "!!float": "a number",
		"!!bool": "a boolean", "!!seq": "a list", "!!map": "a mapping",
		"!!null": "null", "!!timestamp": "a timestamp", "!!binary": "binary data",
	}
	w, ok := words[tag]
	if !ok {
		w = tag
	}
	if text != "" {
		w += " " + strconv.Quote(text)
	}
	return w
}
