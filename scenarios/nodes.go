package scenarios

import (
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// decodeNodes parses data into a node tree and indexes it. It reports
// syntax errors, empty files, more than one document, a top level that is
// not a mapping, aliases and merge keys.
func decodeNodes(file string, data []byte) (*index, error) {
	starts := lineStarts(data)
	doc, next, read, err := parseYAML(data, starts)
	switch {
	case err != nil:
		return nil, syntaxError(file, syntax{data, starts, read, syntaxMessage(err)})
	case doc == nil:
		return nil, &Error{File: file, Line: 1, Msg: "empty file; a scenario needs at least a name"}
	case next != nil:
		return nil, &Error{File: file, Line: next.Line, Msg: "a scenario file holds one YAML document; found another"}
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == nullTag {
		return nil, &Error{File: file, Line: root.Line, Msg: "empty file; a scenario needs at least a name"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: root.Line, Msg: "a scenario file is a mapping of fields (name: ..., engine: ...)"}
	}
	return newIndex(file, root)
}

// parseYAML parses the first document of data and, to tell whether there
// is another, the second. Both are nil for a file without a document.
// starts are the offsets of data's lines (lineStarts); read is how many of
// them the parser had begun to read when it stopped.
func parseYAML(data []byte, starts []int) (doc, next *yaml.Node, read int, err error) {
	r := &lineReader{data: data, starts: starts}
	doc, next, err = parseDocuments(yaml.NewDecoder(r))
	return doc, next, r.read(), err
}

// parseDocuments decodes dec's first two documents.
func parseDocuments(dec *yaml.Decoder) (doc, next *yaml.Node, err error) {
	defer func() {
		// yaml.v3 recovers its own failures; this guards the contract that
		// Parse never panics on bad input if it misses one.
		if r := recover(); r != nil {
			doc, next, err = nil, nil, fmt.Errorf("parser failure: %v", r)
		}
	}()
	if doc, err = nextDocument(dec); doc == nil || err != nil {
		return nil, nil, err
	}
	if next, err = nextDocument(dec); err != nil {
		return nil, nil, err
	}
	return doc, next, nil
}

// nextDocument decodes dec's next document; nil at the end of the input.
func nextDocument(dec *yaml.Decoder) (*yaml.Node, error) {
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("a document without content")
	}
	return &doc, nil
}
