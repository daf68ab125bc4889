package scenarios

import (
	"io"
	"slices"
	"strings"
)

// syntax is a syntax error in data: the parser's message msg (see
// syntaxMessage), found after reading read of the lines that start at
// starts.
type syntax struct {
	data   []byte
	starts []int
	read   int
	msg    string
}

// syntaxError reports a YAML syntax error at the line e.line finds.
func syntaxError(file string, e syntax) *Error {
	return &Error{File: file, Line: e.line(), Msg: "YAML syntax: " + e.msg}
}

// syntaxMessage is yaml.v3's message without its "yaml: " prefix and the
// line number it may start with. Only the wording is kept: yaml.v3 counts
// that line from 0 or from 1 depending on the error, and leaves it out on
// the first line, so syntax.line places the error instead.
func syntaxMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok && isDigits(num) {
			return after
		}
	}
	return msg
}

// maxWalk is how many lines syntax.line walks back, one parse each,
// before it turns to a binary search.
const maxWalk = 3

// line places the error without reading a line number from any message.
// It is the first line L such that the file cut after line L fails with
// msg and the file cut after L-1 does not (it parses or fails otherwise).
// The parser failed before reading past line e.read, so every cut from
// there on fails as the whole file does. line walks back from there,
// usually a single parse, and turns to a binary search for a bracket or
// quote left open far above, which is blamed on the line that opens it.
func (e syntax) line() int {
	fails := func(k int) bool { // the file cut after line k fails with msg
		if k >= len(e.starts) {
			return true
		}
		_, _, _, err := parseYAML(e.data[:e.starts[k]], e.starts[:k])
		return err != nil && syntaxMessage(err) == e.msg
	}
	bad := max(e.read, 1)
	for range maxWalk {
		if bad == 1 || !fails(bad-1) {
			return bad
		}
		bad--
	}
	good := 0 // the empty file parses
	for bad-good > 1 {
		if mid := (good + bad) / 2; fails(mid) {
			bad = mid
		} else {
			good = mid
		}
	}
	return bad
}

// lineReader hands data to the parser one line at a time, so that the
// lines the parser has read when it fails hold the error.
type lineReader struct {
	data   []byte
	starts []int // lineStarts(data)
	pos    int   // bytes handed out
}

func (r *lineReader) Read(p []byte) (int, error) {
	if r.pos == len(r.data) {
		return 0, io.EOF
	}
	end := len(r.data) // the end of the line at pos
	if next, _ := slices.BinarySearch(r.starts, r.pos+1); next < len(r.starts) {
		end = r.starts[next]
	}
	n := copy(p, r.data[r.pos:end])
	r.pos += n
	return n, nil
}

// read is the number of lines the reader has begun to hand out.
func (r *lineReader) read() int {
	n, _ := slices.BinarySearch(r.starts, r.pos)
	return n
}

// lineStarts is the offset of each line of data, counting line breaks as
// YAML does: \n, \r\n or a lone \r.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' || c == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
			if i+1 < len(data) {
				starts = append(starts, i+1)
			}
		}
	}
	return starts
}
