package scenarios

import (
	"strconv"
	"strings"
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
