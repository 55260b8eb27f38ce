package schema

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Bounds of what functions may build. Without them one expression can
// exhaust the machine's memory (setproduct over six sets of 40 is 4 billion
// tuples), which Go reports as a fatal error no recover catches.
const (
	// maxElements bounds a collection a function returns. A configuration
	// declares at most as many orders as the orders endpoint can read in
	// an hour (100,000 requests), so no list it needs is longer.
	maxElements = 100_000
	// maxStringLen bounds a string a function returns, in bytes: as much
	// as file() may read.
	maxStringLen = MaxReadFileSize
	// maxFormatWidth bounds the width and precision of a format verb.
	// Nothing orderform sends is longer than 512 characters (names and
	// addresses; track codes 255), so a wider field is a mistake; Go's fmt
	// turns widths over a million into "%!(NOVERB)".
	maxFormatWidth = 512
)

// guardFunctions wraps the functions of funcs that build a value so that a result over
// maxElements or maxStringLen is an error, and those that can build more
// than their arguments hold (setproduct, concat, join, format, formatlist,
// indent, split, regexall, csvdecode, setunion) check the size before
// building it.
func guardFunctions(funcs map[string]function.Function, b *budget) {
	pre := map[string]func(args []cty.Value) error{
		"setproduct": checkProduct,
		"concat":     checkSum(0),
		"setunion":   checkSum(0),
		"join":       checkJoin,
		"format":     checkFormat,
		"formatlist": checkFormatList,
		"indent":     checkIndent,
		"split":      checkSplit,
		"regexall":   checkRegexAll,
		"csvdecode":  checkCSV,
	}
	for name, f := range funcs {
		if !returnsGiven[name] {
			funcs[name] = guarded(f, pre[name], b)
		}
	}
}

// returnsGiven are the functions that return a number, a boolean or one of
// their arguments: they build nothing to bound, and wrapping them would
// only walk their arguments again (on a large set, a sort each time).
var returnsGiven = map[string]bool{
	"abs": true, "ceil": true, "floor": true, "log": true, "max": true, "min": true, "parseint": true,
	"pow": true, "signum": true, "length": true, "contains": true, "index": true, "element": true,
	"lookup": true, "coalesce": true, "coalescelist": true, "tobool": true, "tonumber": true,
}

func guarded(f function.Function, pre func([]cty.Value) error, b *budget) function.Function {
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    f.VarParam(),
		Type:        f.ReturnTypeForValues,
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if pre != nil {
				measured := make([]cty.Value, len(args))
				for i, a := range args {
					measured[i], _ = a.UnmarkDeep()
				}
				if err := pre(measured); err != nil {
					return cty.NilVal, err
				}
			}
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			return v, checkResult(v, b)
		},
	})
}

// checkResult refuses a result over the bounds, and charges it to b.
func checkResult(v cty.Value, b *budget) error {
	v, _ = v.Unmark()
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		n := len(v.AsString())
		if n > maxStringLen {
			return fmt.Errorf("the result would be a string of %d bytes; orderform builds strings of at most %d bytes", n, maxStringLen)
		}
		return b.charge(0, n)
	case ty.IsCollectionType() || ty.IsTupleType():
		n := v.LengthInt()
		if n > maxElements {
			return tooManyElements(n)
		}
		return b.charge(n, 0)
	}
	return nil
}

func tooManyElements(n int) error {
	return fmt.Errorf("the result would have %d elements; orderform builds collections of at most %d elements", n, maxElements)
}

// length is the number of elements of a known collection, else 0.
func length(v cty.Value) int {
	if !v.IsKnown() || v.IsNull() {
		return 0
	}
	if ty := v.Type(); ty.IsCollectionType() || ty.IsTupleType() || ty.IsObjectType() {
		return v.LengthInt()
	}
	return 0
}

// str is a known string's text, else "".
func str(v cty.Value) string {
	if !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

func checkProduct(args []cty.Value) error {
	n := 1
	for _, a := range args {
		l := length(a)
		if l == 0 {
			return nil
		}
		if n > maxElements/l {
			return fmt.Errorf("the product of these sets would have more than %d elements (orderform's bound on a collection); narrow them down first", maxElements)
		}
		n *= l
	}
	return nil
}

// checkSum bounds a result that holds every element of the arguments from
// the first-th on.
func checkSum(first int) func([]cty.Value) error {
	return func(args []cty.Value) error {
		n := 0
		for _, a := range args[first:] {
			if n += length(a); n > maxElements {
				return tooManyElements(n)
			}
		}
		return nil
	}
}

func tooLong(n int) error {
	return fmt.Errorf("the result would be a string of more than %d bytes (orderform's bound on a string)", n)
}

func checkJoin(args []cty.Value) error {
	sep := len(str(args[0]))
	n := 0
	for _, list := range args[1:] {
		if length(list) == 0 {
			continue
		}
		for it := list.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if n += len(str(e)) + sep; n > maxStringLen {
				return tooLong(maxStringLen)
			}
		}
	}
	return nil
}

func checkIndent(args []cty.Value) error {
	if !args[0].IsKnown() || args[0].IsNull() {
		return nil
	}
	spaces, _ := args[0].AsBigFloat().Int64()
	if spaces > maxFormatWidth {
		return function.NewArgErrorf(0, "%d spaces is too many: at most %d", spaces, maxFormatWidth)
	}
	s := str(args[1])
	if spaces > 0 && len(s)+strings.Count(s, "\n")*int(spaces) > maxStringLen {
		return tooLong(maxStringLen)
	}
	return nil
}

func checkSplit(args []cty.Value) error {
	sep, s := str(args[0]), str(args[1])
	if n := strings.Count(s, sep) + 1; n > maxElements {
		return tooManyElements(n)
	}
	return nil
}

func checkRegexAll(args []cty.Value) error {
	re, err := regexp.Compile(str(args[0]))
	if err != nil {
		return nil // the function reports it
	}
	if n := len(re.FindAllStringIndex(str(args[1]), maxElements+1)); n > maxElements {
		return fmt.Errorf("the pattern matches more than %d times; orderform builds collections of at most %d elements", maxElements, maxElements)
	}
	return nil
}

func checkCSV(args []cty.Value) error {
	// Rows end with newlines; quoted fields may hold more, so this counts
	// at least the rows.
	if n := strings.Count(str(args[0]), "\n"); n > maxElements+1 {
		return fmt.Errorf("the CSV has more than %d rows; orderform builds collections of at most %d elements", maxElements, maxElements)
	}
	return nil
}

func checkFormat(args []cty.Value) error {
	n, err := formatSize(str(args[0]), args[1:], -1)
	if err != nil {
		return err
	}
	if n > maxStringLen {
		return tooLong(maxStringLen)
	}
	return nil
}

// checkFormatList checks formatlist, which formats once per element of
// its list arguments (all of one length; other arguments repeat).
func checkFormatList(args []cty.Value) error {
	count := 1
	for _, a := range args[1:] {
		if ty := a.Type(); a.IsKnown() && !a.IsNull() && (ty.IsListType() || ty.IsTupleType()) {
			count = max(count, a.LengthInt())
		}
	}
	if count > maxElements {
		return tooManyElements(count)
	}
	total := 0
	for i := range count {
		n, err := formatSize(str(args[0]), args[1:], i)
		if err != nil {
			return err
		}
		if total += n; total > maxStringLen {
			return tooLong(maxStringLen)
		}
	}
	return nil
}

// formatSize returns an upper bound of the length of format(f, args...),
// and an error for a width or precision over maxFormatWidth. With elem >=
// 0, list arguments stand for their element elem (formatlist). The syntax
// is cty's: %[flags][[n]][width][.precision]verb, and %% for "%".
func formatSize(f string, args []cty.Value, elem int) (int, error) {
	size, next := 0, 0
	jsonLen := map[int]int{}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			size++
			continue
		}
		start := i
		i++
		if i < len(f) && f[i] == '%' {
			size++
			continue
		}
		for i < len(f) && strings.IndexByte("0#-+ ", f[i]) >= 0 {
			i++
		}
		argNum := next
		if i < len(f) && f[i] == '[' {
			j := strings.IndexByte(f[i:], ']')
			if j < 0 {
				return 0, nil // the function reports it
			}
			argNum = -1
			if k, _, _ := formatNumber(f[i+1:i+j], 0, 0); k > 0 {
				argNum = k - 1
			}
			i += j + 1
		}
		width, i2, err := formatNumber(f, i, start)
		if err != nil {
			return 0, err
		}
		i = i2
		prec := 0
		if i < len(f) && f[i] == '.' {
			if prec, i, err = formatNumber(f, i+1, start); err != nil {
				return 0, err
			}
		}
		if i >= len(f) {
			return 0, nil // the function reports it
		}
		next = argNum + 1
		n := width + prec
		if argNum >= 0 && argNum < len(args) {
			a := args[argNum]
			if elem >= 0 && a.IsKnown() && !a.IsNull() && (a.Type().IsListType() || a.Type().IsTupleType()) && elem < a.LengthInt() {
				a = a.Index(cty.NumberIntVal(int64(elem)))
			}
			n += valueLen(a, f[i] == 'q', argNum, jsonLen)
		}
		size += n
	}
	return size, nil
}

// formatNumber reads the decimal number at f[i:] (0 if none) and refuses
// one over maxFormatWidth; start is where the verb begins, for the message.
func formatNumber(f string, i, start int) (int, int, error) {
	n := 0
	for i < len(f) && '0' <= f[i] && f[i] <= '9' {
		n = n*10 + int(f[i]-'0')
		i++
		if n > maxFormatWidth {
			for i < len(f) && '0' <= f[i] && f[i] <= '9' {
				i++
			}
			return 0, i, function.NewArgErrorf(0, "the width or precision of %q at offset %d is too large: at most %d", f[start:min(i+1, len(f))], start, maxFormatWidth)
		}
	}
	return n, i, nil
}

// valueLen bounds the length of a value as format writes it: a string as
// it is, or quoted with every byte escaped; anything else as JSON (computed
// once per argument).
func valueLen(v cty.Value, quoted bool, argNum int, cache map[int]int) int {
	if v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
		if quoted {
			return 6*len(v.AsString()) + 2
		}
		return len(v.AsString())
	}
	if n, ok := cache[argNum]; ok {
		return n
	}
	n := 0
	if v.IsWhollyKnown() {
		if b, err := ctyjson.Marshal(v, v.Type()); err == nil {
			n = len(b)
		}
	}
	cache[argNum] = n
	return n
}
