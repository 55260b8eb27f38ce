package schema

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions returns the functions available in expressions: the cty
// standard library under Terraform's names (with Terraform's length and
// replace), can/try, sensitive/nonsensitive, and file() reading inside dir.
func functions(dir string, b *budget) map[string]function.Function {
	funcs := map[string]function.Function{
		// numbers
		"abs":      stdlib.AbsoluteFunc,
		"ceil":     stdlib.CeilFunc,
		"floor":    stdlib.FloorFunc,
		"log":      stdlib.LogFunc,
		"max":      stdlib.MaxFunc,
		"min":      stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc,
		"pow":      stdlib.PowFunc,
		"signum":   stdlib.SignumFunc,
		// strings
		"chomp":      stdlib.ChompFunc,
		"format":     stdlib.FormatFunc,
		"formatlist": stdlib.FormatListFunc,
		"indent":     stdlib.IndentFunc,
		"join":       stdlib.JoinFunc,
		"lower":      stdlib.LowerFunc,
		"upper":      stdlib.UpperFunc,
		"replace":    replaceFunc,
		"split":      stdlib.SplitFunc,
		"strrev":     stdlib.ReverseFunc,
		"substr":     stdlib.SubstrFunc,
		"title":      stdlib.TitleFunc,
		"trim":       stdlib.TrimFunc,
		"trimprefix": stdlib.TrimPrefixFunc,
		"trimsuffix": stdlib.TrimSuffixFunc,
		"trimspace":  stdlib.TrimSpaceFunc,
		"regex":      stdlib.RegexFunc,
		"regexall":   stdlib.RegexAllFunc,
		// collections
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        coalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"index":           stdlib.IndexFunc,
		"keys":            stdlib.KeysFunc,
		"length":          lengthFunc,
		"lookup":          stdlib.LookupFunc,
		"merge":           stdlib.MergeFunc,
		"range":           stdlib.RangeFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,
		// encodings
		"csvdecode":  stdlib.CSVDecodeFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc,
		// dates: handy to compute delivery dates
		"formatdate": stdlib.FormatDateFunc,
		"timeadd":    stdlib.TimeAddFunc,
		// types
		"tobool":   stdlib.MakeToFunc(cty.Bool),
		"tolist":   stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":    stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber": stdlib.MakeToFunc(cty.Number),
		"toset":    stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring": stdlib.MakeToFunc(cty.String),
	}
	guardFunctions(funcs, b)
	// These build nothing, or bound what they build themselves.
	funcs["can"] = tryfunc.CanFunc
	funcs["try"] = tryfunc.TryFunc
	funcs["sensitive"] = sensitiveFunc
	funcs["nonsensitive"] = nonsensitiveFunc
	funcs["file"] = fileFunc(dir)
	for name, f := range budgetFunctions(b) {
		funcs[name] = f
	}
	return funcs
}

// lengthFunc is Terraform's length: like the cty one, but also counting the
// characters of a string and the attributes of an object.
var lengthFunc = function.New(&function.Spec{
	Description: "Returns the number of elements of a collection or characters of a string.",
	Params: []function.Parameter{{
		Name:             "value",
		Type:             cty.DynamicPseudoType,
		AllowDynamicType: true,
		AllowUnknown:     true,
		AllowMarked:      true,
	}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty == cty.String, ty == cty.DynamicPseudoType, ty.IsCollectionType(), ty.IsTupleType(), ty.IsObjectType():
			return cty.Number, nil
		}
		return cty.NilType, errors.New("argument must be a string, a collection type, or a structural type")
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, marks := args[0].Unmark()
		ty := v.Type()
		var n cty.Value
		switch {
		case ty == cty.DynamicPseudoType:
			return cty.UnknownVal(cty.Number).WithMarks(marks), nil
		case ty.IsTupleType():
			n = cty.NumberIntVal(int64(len(ty.TupleElementTypes())))
		case ty.IsObjectType():
			n = cty.NumberIntVal(int64(len(ty.AttributeTypes())))
		case !v.IsKnown():
			return cty.UnknownVal(cty.Number).WithMarks(marks), nil
		case v.IsNull():
			return cty.NilVal, errors.New("argument must not be null")
		case ty == cty.String:
			var err error
			if n, err = stdlib.Strlen(v); err != nil {
				return cty.NilVal, err
			}
		default:
			n = v.Length()
		}
		return n.WithMarks(marks), nil
	},
})

// coalesceFunc is Terraform's coalesce: the first argument that is neither
// null nor an empty string (cty's skips only nulls).
var coalesceFunc = function.New(&function.Spec{
	Description: "Returns the first argument that is not null or an empty string.",
	VarParam: &function.Parameter{
		Name: "vals", Type: cty.DynamicPseudoType,
		AllowUnknown: true, AllowDynamicType: true, AllowNull: true,
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		types := make([]cty.Type, len(args))
		for i, v := range args {
			types[i] = v.Type()
		}
		ty, _ := convert.UnifyUnsafe(types)
		if ty == cty.NilType {
			return cty.NilType, errors.New("all arguments must have the same type")
		}
		return ty, nil
	},
	Impl: func(args []cty.Value, ty cty.Type) (cty.Value, error) {
		for _, v := range args {
			v, err := convert.Convert(v, ty)
			if err != nil {
				return cty.NilVal, err
			}
			if !v.IsKnown() {
				return cty.UnknownVal(ty), nil
			}
			if v.IsNull() || (ty == cty.String && v.RawEquals(cty.StringVal(""))) {
				continue
			}
			return v, nil
		}
		return cty.NilVal, errors.New("no argument is neither null nor an empty string")
	},
})

// replaceFunc is Terraform's replace: a substring wrapped in slashes is a
// regular expression.
var replaceFunc = function.New(&function.Spec{
	Description: "Replaces each occurrence of substr (a regular expression when wrapped in slashes) in str.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String},
		{Name: "substr", Type: cty.String},
		{Name: "replace", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		str, substr, repl := args[0].AsString(), args[1].AsString(), args[2].AsString()
		if len(substr) > 1 && strings.HasPrefix(substr, "/") && strings.HasSuffix(substr, "/") {
			re, err := regexp.Compile(substr[1 : len(substr)-1])
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(1, "invalid regular expression: %s", err)
			}
			// Bound the result before building it: a group is part of
			// its match, so each $ adds at most the match's length.
			size, refs := len(str), strings.Count(repl, "$")
			re.ReplaceAllStringFunc(str, func(m string) string {
				size += len(repl) + refs*len(m) - len(m)
				return ""
			})
			if size > maxStringLen {
				return cty.NilVal, tooLong(maxStringLen)
			}
			return cty.StringVal(re.ReplaceAllString(str, repl)), nil
		}
		n := strings.Count(str, substr)
		if size := len(str) + n*(len(repl)-len(substr)); n > 0 && size > maxStringLen {
			return cty.NilVal, tooLong(maxStringLen)
		}
		return cty.StringVal(strings.ReplaceAll(str, substr, repl)), nil
	},
})

var sensitiveFunc = function.New(&function.Spec{
	Description: "Marks a value as sensitive: the plan masks what derives from it.",
	Params: []function.Parameter{{
		Name: "value", Type: cty.DynamicPseudoType,
		AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true,
	}},
	Type: func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return args[0].Mark(sensitiveMark), nil
	},
})

var nonsensitiveFunc = function.New(&function.Spec{
	Description: "Removes the sensitive mark of a value, for instance to use it as a for_each key.",
	Params: []function.Parameter{{
		Name: "value", Type: cty.DynamicPseudoType,
		AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true,
	}},
	Type: func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, marks := args[0].Unmark()
		delete(marks, sensitiveMark)
		return v.WithMarks(marks), nil
	},
})

// fileFunc reads a UTF-8 text file relative to dir, through ReadInside:
// absolute paths, paths that leave dir, non-regular files and files over
// MaxReadFileSize are refused. A leading byte-order mark is dropped: it
// marks the encoding (spreadsheets write one into "CSV UTF-8"), and kept it
// would become part of the first CSV column's name or of a track code.
// Contents are cached by the file they resolve to: a for_each block calls
// it once per instance, and other spellings of a path read nothing more.
func fileFunc(dir string) function.Function {
	var (
		mu       sync.Mutex
		byPath   = map[string]cty.Value{}
		byTarget = map[string]cty.Value{}
	)
	return function.New(&function.Spec{
		Description: "Reads a text file relative to the configuration directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			mu.Lock()
			defer mu.Unlock()
			if v, ok := byPath[p]; ok {
				return v, nil
			}
			target, err := resolveInside(dir, p)
			if err != nil {
				return cty.NilVal, function.NewArgError(0, err)
			}
			v, ok := byTarget[target]
			if !ok {
				src, err := readRegular(target, p, MaxReadFileSize)
				if err != nil {
					return cty.NilVal, function.NewArgError(0, err)
				}
				if !utf8.Valid(src) {
					return cty.NilVal, function.NewArgError(0, fmt.Errorf("the contents of %q are not valid UTF-8; file() reads text files only", p))
				}
				v = cty.StringVal(strings.TrimPrefix(string(src), byteOrderMark))
				byTarget[target] = v
			}
			byPath[p] = v
			return v, nil
		},
	})
}

// byteOrderMark is U+FEFF encoded in UTF-8.
const byteOrderMark = "\ufeff"
