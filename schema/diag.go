package schema

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
)

// didYouMean returns ` Did you mean "x"?` for the closest of options, or ""
// when none is close enough. The threshold is hcl's own.
func didYouMean(given string, options []string) string {
	best, bestDist := "", 3
	for _, o := range options {
		if d := levenshtein.Distance(given, o, nil); d < bestDist {
			best, bestDist = o, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// place renders a range as file:line:col for details that name a second
// location.
func place(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

func errorDiag(rng hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	if len(args) > 0 {
		detail = fmt.Sprintf(detail, args...)
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}
}

func warningDiag(rng hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	d := errorDiag(rng, summary, detail, args...)
	d.Severity = hcl.DiagWarning
	return d
}

// show quotes a user's value for a diagnostic, unless it is sensitive.
func show(s string, sensitive bool) string {
	if sensitive {
		return "(sensitive value)"
	}
	return strconv.Quote(s)
}

// diagKey identifies a diagnostic for de-duplication: one mistake in a
// for_each block must not be reported once per instance, and Orders must not
// repeat what Load already returned.
type diagKey struct {
	severity        hcl.DiagnosticSeverity
	summary, detail string
	rng             hcl.Range
}

func keyOf(d *hcl.Diagnostic) diagKey {
	k := diagKey{severity: d.Severity, summary: d.Summary, detail: d.Detail}
	if d.Subject != nil {
		k.rng = *d.Subject
	}
	return k
}

// dedup drops the diagnostics seen before (in seen, which it updates).
func dedup(diags hcl.Diagnostics, seen map[diagKey]bool) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		k := keyOf(d)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}

// sortDiags orders diagnostics as a reader goes through the files: those
// without a range first, then by file (in load order, unknown files by name),
// line and column. The sort is stable so diagnostics at one place keep the
// order in which they were found.
func sortDiags(diags hcl.Diagnostics, fileOrder map[string]int) {
	rank := func(d *hcl.Diagnostic) (bool, int, string, int) {
		if d.Subject == nil {
			return false, 0, "", 0
		}
		fi, ok := fileOrder[d.Subject.Filename]
		if !ok {
			fi = len(fileOrder)
		}
		return true, fi, d.Subject.Filename, d.Subject.Start.Byte
	}
	sort.SliceStable(diags, func(i, j int) bool {
		hi, fi, ni, bi := rank(diags[i])
		hj, fj, nj, bj := rank(diags[j])
		if hi != hj {
			return !hi
		}
		if fi != fj {
			return fi < fj
		}
		if ni != nj {
			return ni < nj
		}
		return bi < bj
	})
}
