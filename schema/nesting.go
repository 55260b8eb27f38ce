package schema

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// maxNesting bounds how deeply a configuration may nest brackets, blocks,
// templates and operators. hclsyntax parses and evaluates expressions
// recursively, so 100,000 nested parentheses (or a million "!") overflow
// the goroutine stack: a fatal error no recover catches. The bound is
// checked on the bytes, before the parser sees them. Real configurations
// nest fewer than 10 levels; 100 leaves room for generated ones.
const maxNesting = 100

// nestFrame is one open bracket, block, string, heredoc or template
// sequence of the scan.
type nestFrame struct {
	kind byte // '(' '[' '{' '"' '<' (heredoc), '$' (${), '%' (%{), 0 (the file)
	ops  int  // operators so far in this frame's current expression
	ctl  int  // open %{ if } and %{ for } of a string or heredoc frame
	// marker ends a heredoc, on a line of its own: lineStart says that
	// the scan is at the start of one of its lines.
	marker    []byte
	lineStart bool
}

func (f *nestFrame) weight() int { return 1 + f.ops + f.ctl }

// nestingScan measures nesting as hclsyntax's recursion sees it, erring on
// the side of counting more: each open bracket, block, string, heredoc and
// template sequence is a level, and so is each operator of a chain (a+b+c
// parses as ((a+b)+c), !!x as !(!x), a?b:c?d:e nests to the right) and each
// index or splat after an expression (x[a][b] nests like a chain). Commas,
// "=", "=>" and newlines where they end an expression start a new chain.
type nestingScan struct {
	src      []byte
	filename string
	pos      hcl.Pos
	stack    []nestFrame
	depth    int  // sum of the frames' weights
	afterEnd bool // the last token ends an operand: a following [ indexes it
}

// ParseFile parses a configuration file's source as Load does, refusing
// what nests too deeply for the parser before it sees it. It is for
// commands that parse one file without loading its directory (fmt).
func ParseFile(src []byte, filename string) (*hcl.File, hcl.Diagnostics) {
	if d := checkNesting(src, filename); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
}

// checkNesting returns an error diagnostic at the first place where src,
// HCL native syntax, nests deeper than maxNesting, or nil.
func checkNesting(src []byte, filename string) *hcl.Diagnostic {
	s := &nestingScan{src: src, filename: filename, pos: hcl.InitialPos}
	s.push(nestFrame{})
	return s.run()
}

func (s *nestingScan) top() *nestFrame { return &s.stack[len(s.stack)-1] }

func (s *nestingScan) push(f nestFrame) bool {
	s.stack = append(s.stack, f)
	s.depth += f.weight()
	return s.depth <= maxNesting
}

// pop closes the top frame if it is one of kinds; a closer that matches
// nothing is left to the parser to report (counting more, never less).
func (s *nestingScan) pop(kinds string) {
	if len(s.stack) < 2 || bytes.IndexByte([]byte(kinds), s.top().kind) < 0 {
		return
	}
	s.depth -= s.top().weight()
	s.stack = s.stack[:len(s.stack)-1]
}

// op counts one more operator in the current expression.
func (s *nestingScan) op() bool {
	s.top().ops++
	s.depth++
	return s.depth <= maxNesting
}

// endExpr starts a new expression in the top frame.
func (s *nestingScan) endExpr() {
	s.depth -= s.top().ops
	s.top().ops = 0
}

func (s *nestingScan) tooDeep() *hcl.Diagnostic {
	end := s.pos
	end.Byte++
	end.Column++
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Configuration nested too deeply",
		Detail: fmt.Sprintf("Brackets, blocks, strings and operators nest more than %d levels deep here. orderform does not parse this: so deep a nesting would exhaust the parser's stack. Break the expression up, for instance into locals.",
			maxNesting),
		Subject: &hcl.Range{Filename: s.filename, Start: s.pos, End: end},
	}
}

// advance moves past n bytes, keeping the position.
func (s *nestingScan) advance(n int) {
	for _, c := range s.src[s.pos.Byte : s.pos.Byte+n] {
		switch {
		case c == '\n':
			s.pos.Line++
			s.pos.Column = 1
		case utf8.RuneStart(c):
			s.pos.Column++
		}
	}
	s.pos.Byte += n
}

func (s *nestingScan) peek(off int) byte {
	if i := s.pos.Byte + off; i < len(s.src) {
		return s.src[i]
	}
	return 0
}

func (s *nestingScan) run() *hcl.Diagnostic {
	for s.pos.Byte < len(s.src) {
		var ok bool
		switch s.top().kind {
		case '"':
			ok = s.stringByte()
		case '<':
			ok = s.heredocLine()
		default:
			ok = s.codeToken()
		}
		if !ok {
			return s.tooDeep()
		}
	}
	return nil
}

// templateOpen handles ${ and %{ inside a string or heredoc ($${ and %%{
// are escapes); it reports whether it consumed anything and whether the
// depth is still fine.
func (s *nestingScan) templateOpen() (consumed, ok bool) {
	c, next := s.peek(0), s.peek(1)
	if (c != '$' && c != '%') || next == 0 {
		return false, true
	}
	if next == c && s.peek(2) == '{' { // $${ or %%{: literal
		s.advance(3)
		return true, true
	}
	if next != '{' {
		return false, true
	}
	s.advance(2)
	if c == '%' {
		s.controlKeyword()
	}
	s.afterEnd = false
	return true, s.push(nestFrame{kind: c})
}

// controlKeyword counts the nesting of %{ if } and %{ for } in the
// enclosing string or heredoc: the parser nests their bodies.
func (s *nestingScan) controlKeyword() {
	i := s.pos.Byte
	for i < len(s.src) && (s.src[i] == ' ' || s.src[i] == '\t' || s.src[i] == '~') {
		i++
	}
	j := i
	for j < len(s.src) && isIdentByte(s.src[j]) {
		j++
	}
	f := s.top()
	switch string(s.src[i:j]) {
	case "if", "for":
		f.ctl++
		s.depth++
	case "endif", "endfor":
		if f.ctl > 0 {
			f.ctl--
			s.depth--
		}
	}
}

func (s *nestingScan) stringByte() bool {
	if consumed, ok := s.templateOpen(); consumed {
		return ok
	}
	switch s.peek(0) {
	case '\\':
		if s.peek(1) != 0 && s.peek(1) != '\n' {
			s.advance(2)
			return true
		}
	case '"':
		s.advance(1)
		s.pop(`"`)
		s.afterEnd = true
		return true
	case '\n':
		// A quoted string ends at the line's end (an error the parser
		// reports); scanning on as code counts more, never less.
		s.pop(`"`)
	}
	s.advance(1)
	return true
}

func (s *nestingScan) heredocLine() bool {
	f := s.top()
	if f.lineStart {
		rest := s.src[s.pos.Byte:]
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i]
		}
		if bytes.Equal(bytes.TrimSpace(line), f.marker) {
			s.advance(len(line))
			s.pop("<")
			s.afterEnd = true
			return true
		}
		f.lineStart = false
	}
	// Scan the line for template sequences; the rest is text.
	for s.pos.Byte < len(s.src) {
		if consumed, ok := s.templateOpen(); consumed {
			// The sequence is code until its }; the line goes on after it.
			return ok
		}
		c := s.peek(0)
		s.advance(1)
		if c == '\n' {
			s.top().lineStart = true
			return true
		}
	}
	return true
}

// heredocStart recognises <<ID or <<-ID followed by a newline, as the
// lexer does.
func (s *nestingScan) heredocStart() ([]byte, int) {
	i := s.pos.Byte + 2
	if i < len(s.src) && s.src[i] == '-' {
		i++
	}
	j := i
	for j < len(s.src) && isIdentByte(s.src[j]) {
		j++
	}
	if j == i {
		return nil, 0
	}
	k := j
	if k < len(s.src) && s.src[k] == '\r' {
		k++
	}
	if k >= len(s.src) || s.src[k] != '\n' {
		return nil, 0
	}
	return s.src[i:j], k + 1 - s.pos.Byte
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || c >= 0x80 || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// codeToken scans one token of an expression or body.
func (s *nestingScan) codeToken() bool {
	c, next := s.peek(0), s.peek(1)
	f := s.top()
	switch {
	case c == '#' || (c == '/' && next == '/'):
		i := bytes.IndexByte(s.src[s.pos.Byte:], '\n')
		if i < 0 {
			i = len(s.src) - s.pos.Byte
		}
		s.advance(i) // the newline itself is a token
		return true
	case c == '/' && next == '*':
		i := bytes.Index(s.src[s.pos.Byte+2:], []byte("*/"))
		if i < 0 {
			s.advance(len(s.src) - s.pos.Byte)
			return true
		}
		s.advance(i + 4)
		return true
	case c == '\n':
		if f.kind == 0 || f.kind == '{' {
			s.endExpr()
		}
		s.advance(1)
		s.afterEnd = false
		return true
	case c == ' ' || c == '\t' || c == '\r':
		s.advance(1)
		return true
	case c == '"':
		s.advance(1)
		s.afterEnd = false
		return s.push(nestFrame{kind: '"'})
	case c == '<' && next == '<':
		if marker, n := s.heredocStart(); n > 0 {
			s.advance(n)
			s.afterEnd = false
			return s.push(nestFrame{kind: '<', marker: marker, lineStart: true})
		}
		s.advance(2)
		return s.op()
	case c == '(' || c == '[' || c == '{':
		index := c == '[' && s.afterEnd
		s.advance(1)
		s.afterEnd = false
		if index && !s.op() {
			return false
		}
		return s.push(nestFrame{kind: c})
	case c == ')':
		s.advance(1)
		s.pop("(")
		s.afterEnd = true
		return true
	case c == ']':
		s.advance(1)
		s.pop("[")
		s.afterEnd = true
		return true
	case c == '}':
		s.advance(1)
		s.pop("{$%")
		s.afterEnd = true
		return true
	case c == ',':
		s.endExpr()
		s.advance(1)
		s.afterEnd = false
		return true
	case c == '=' && next == '>', c == '=' && next != '=':
		s.endExpr()
		if next == '>' {
			s.advance(1)
		}
		s.advance(1)
		s.afterEnd = false
		return true
	case c == '.' && next == '*':
		s.advance(2)
		s.afterEnd = true
		return s.op()
	case '0' <= c && c <= '9':
		i := s.pos.Byte + 1
		for i < len(s.src) {
			d := s.src[i]
			if ('0' <= d && d <= '9') || d == '.' || d == 'e' || d == 'E' ||
				((d == '+' || d == '-') && (s.src[i-1] == 'e' || s.src[i-1] == 'E')) {
				i++
				continue
			}
			break
		}
		s.advance(i - s.pos.Byte)
		s.afterEnd = true
		return true
	case isIdentByte(c) && c != '-':
		i := s.pos.Byte + 1
		for i < len(s.src) && isIdentByte(s.src[i]) {
			i++
		}
		s.advance(i - s.pos.Byte)
		s.afterEnd = true
		return true
	case c == '=' || c == '!' || c == '<' || c == '>' || c == '&' || c == '|':
		// ==, !=, <=, >=, &&, || are one operator each; ! < > alone too.
		n := 1
		if next == '=' || (c == '&' && next == '&') || (c == '|' && next == '|') {
			n = 2
		}
		s.advance(n)
		s.afterEnd = false
		return s.op()
	case c == '+' || c == '-' || c == '*' || c == '/' || c == '%' || c == '?':
		s.advance(1)
		s.afterEnd = false
		return s.op()
	}
	// ":" ".", "..." and anything else: no nesting.
	s.advance(1)
	s.afterEnd = false
	return true
}

// checkJSONNesting is checkNesting for JSON (variable files): only arrays
// and objects nest.
func checkJSONNesting(src []byte, filename string) *hcl.Diagnostic {
	s := &nestingScan{src: src, filename: filename, pos: hcl.InitialPos}
	depth, inString := 0, false
	for s.pos.Byte < len(src) {
		c := src[s.pos.Byte]
		n := 1
		switch {
		case inString && c == '\\' && s.pos.Byte+1 < len(src):
			n = 2
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			if depth > maxNesting {
				return s.tooDeep()
			}
		case c == ']' || c == '}':
			depth--
		}
		s.advance(n)
	}
	return nil
}
