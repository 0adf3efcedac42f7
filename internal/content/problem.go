package content

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with the content, located so an author can jump to it.
type Problem struct {
	File    string // slash-separated, relative to the root of the loaded fs.FS
	Line    int    // 1-based; 0 when the problem concerns the whole file or folder
	Message string
}

// String formats the problem as compilers do, so editors can link to it.
func (p Problem) String() string {
	if p.Line <= 0 {
		return p.File + ": " + p.Message
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
}

// ValidationError lists every problem found in one Load, so an author fixes them in one pass
// instead of one per run.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems while loading.
type problems []Problem

func (ps *problems) add(file string, line int, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}
