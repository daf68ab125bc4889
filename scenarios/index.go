package scenarios

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

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

// index maps the file's fields to their nodes: it says which fields the
// file sets, for the defaults, and where, for the errors of validate.
type index struct {
	root   *yaml.Node // the top-level mapping
	byPath map[string]entry
}

// newIndex indexes the tree under root. It rejects aliases and merge keys,
// wherever they are, before anything is decoded.
func newIndex(file string, root *yaml.Node) (*index, error) {
	idx := &index{root: root, byPath: map[string]entry{}}
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
			if k.Kind == yaml.AliasNode {
				return aliasError(file, path, k)
			}
			if k.Value == "<<" {
				return &Error{File: file, Line: k.Line, Field: path, Msg: "YAML merge keys (<<) are not supported; write the fields out"}
			}
			if err := idx.add(file, entry{path: join(path, k.Value), key: k, val: v}); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			if err := idx.add(file, entry{path: item(path, i), val: v}); err != nil {
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
	if _, dup := idx.byPath[e.path]; !dup {
		idx.byPath[e.path] = e // a duplicate key is reported by the decoder
	}
	return idx.walk(file, e.path, e.val)
}

// join is the path of field key in the mapping at path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// item is the path of list item i of the list at path.
func item(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
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
