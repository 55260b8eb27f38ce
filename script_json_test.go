package main

// Script commands that assert on structured output: a JSON document (plan
// -json, show -json, validate -json) read as data, not as text, and a
// file's permission bits. Scripts should check what scripts rely on, and a
// regexp over JSON text matches keys in the wrong object as happily as in
// the right one.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// json FILE PATH [WANT]: FILE (stdout, stderr, or a file) is exactly one
// JSON document, and the value at PATH equals WANT, itself read as JSON (a
// bare word that is not JSON is a string). Without WANT, PATH exists. With
// !, the value differs from WANT (or, without WANT, PATH does not exist).
//
// PATH steps are separated by "/": an object key, an array index, or
// "[KEY=VALUE]" for the one element of an array whose KEY is VALUE (it is
// an error when there is none or more than one). "." is the whole document;
// len(PATH) is the length of the array or object at PATH.
//
//	json stdout len(changes) 2
//	json stdout changes/[address=order.1001]/fields/0/after '"RP123456789RU"'
//	json stdout blocked/[order_id=2005]/available/0/from_time 10:00
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: json FILE PATH [WANT]")
	}
	doc := decodeOne(ts, args[0])
	path, length := strings.CutPrefix(args[1], "len(")
	if length {
		path = strings.TrimSuffix(path, ")")
	}
	got, err := jsonAt(doc, path)
	if err == nil && length {
		switch v := got.(type) {
		case []any:
			got = json.Number(strconv.Itoa(len(v)))
		case map[string]any:
			got = json.Number(strconv.Itoa(len(v)))
		default:
			err = fmt.Errorf("%s is not an array or object", path)
		}
	}
	if len(args) == 2 {
		check(ts, neg, err == nil, "json %s %s: %v", args[0], args[1], err)
		return
	}
	if err != nil {
		ts.Fatalf("json %s %s: %v", args[0], args[1], err)
	}
	var want any
	d := json.NewDecoder(strings.NewReader(args[2]))
	d.UseNumber()
	if d.Decode(&want) != nil || d.More() {
		want = args[2]
	}
	gotText, _ := json.Marshal(got)
	check(ts, neg, reflect.DeepEqual(got, want), "json %s %s: got %s, want %s", args[0], args[1], gotText, args[2])
}

// decodeOne reads file as one JSON document with nothing after it.
func decodeOne(ts *testscript.TestScript, file string) any {
	data := []byte(ts.ReadFile(file))
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		ts.Fatalf("%s is not a JSON document: %v\n%s", file, err, data)
	}
	if rest := bytes.TrimSpace(data[d.InputOffset():]); len(rest) > 0 {
		ts.Fatalf("%s holds more than one JSON document; after the first: %q", file, rest)
	}
	return doc
}

// jsonAt follows path into doc.
func jsonAt(doc any, path string) (any, error) {
	if path == "." {
		return doc, nil
	}
	cur := doc
	for i, step := range strings.Split(path, "/") {
		where := strings.Join(strings.Split(path, "/")[:i], "/")
		if where == "" {
			where = "the document"
		}
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[step]
			if !ok {
				return nil, fmt.Errorf("%s has no key %q (keys: %s)", where, step, strings.Join(keys(v), ", "))
			}
			cur = next
		case []any:
			switch {
			case strings.HasPrefix(step, "[") && strings.HasSuffix(step, "]"):
				k, val, ok := strings.Cut(step[1:len(step)-1], "=")
				if !ok {
					return nil, fmt.Errorf("bad step %q: want [KEY=VALUE]", step)
				}
				var found []any
				for _, e := range v {
					if m, ok := e.(map[string]any); ok && fmt.Sprint(m[k]) == val {
						found = append(found, e)
					}
				}
				if len(found) != 1 {
					return nil, fmt.Errorf("%s has %d elements with %s = %q, want exactly 1", where, len(found), k, val)
				}
				cur = found[0]
			default:
				n, err := strconv.Atoi(step)
				if err != nil || n < 0 || n >= len(v) {
					return nil, fmt.Errorf("%s is an array of %d; no element %q", where, len(v), step)
				}
				cur = v[n]
			}
		default:
			return nil, fmt.Errorf("%s is %v, not an object or array; cannot take %q", where, v, step)
		}
	}
	return cur, nil
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// mode FILE PERM: FILE's permission bits are PERM (octal, such as 0600).
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode FILE PERM")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	if err != nil {
		ts.Fatalf("%q is not an octal mode", args[1])
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	got := fi.Mode().Perm()
	check(ts, neg, got == os.FileMode(want), "mode %s: got %#o, want %#o", args[0], got, want)
}
