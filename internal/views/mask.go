package views

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider"
)

// sensitiveValue stands for a value that derives from a sensitive variable,
// in every view, as Terraform shows it: nothing of the value is revealed.
const sensitiveValue = "(sensitive value)"

// Mask hides the recipient's personal data in value (the value of the field
// path field, e.g. plan.FieldPhone) while leaving enough for a reviewer to
// see that something changed and roughly what (provider.MaskName and
// provider.MaskPhone, shared with the plan file and the API's messages):
//
//   - a phone (recipient.phone) keeps its leading "+" and its last two
//     digits; every other digit becomes "*": "+79990001122" -> "+*********22".
//     Separators are dropped. A phone of fewer than 6 digits shows no digit.
//   - a name (recipient.first_name, last_name, middle_name) keeps its first
//     letter and becomes "П***" whatever its length; a one-letter name is
//     "***".
//   - any other field is returned unchanged: it is not personal.
//
// "" stays "". Values that come from a sensitive variable are not Mask's
// business: the views replace them whole with "(sensitive value)", which is
// stricter. Every view (human, JSON, Markdown) masks through this rule unless
// the user passed -show-sensitive; Markdown always does.
func Mask(field, value string) string {
	if !plan.IsPersonal(field) || value == "" {
		return value
	}
	if plan.KindOf(field) == plan.KindPhone {
		return provider.MaskPhone(value)
	}
	return provider.MaskName(value)
}

// exposure is how much of a field's value a view may show.
type exposure int

const (
	inClear  exposure = iota
	partial           // personal: shown through Mask
	withheld          // from a sensitive variable: "(sensitive value)"
)

// fromSensitiveVariable reports whether the change's value of path derives
// from a sensitive variable. The schema lists attribute paths; a listed
// block ("recipient") covers its attributes.
func fromSensitiveVariable(c *plan.Change, path string) bool {
	for _, s := range c.Sensitive {
		if s == path || strings.HasPrefix(path, s+".") {
			return true
		}
	}
	return false
}

// isSensitive reports whether a field's value is sensitive at all, whatever
// the user asked to see: what the JSON view marks "sensitive": true.
func isSensitive(c *plan.Change, path string) bool {
	return plan.IsPersonal(path) || fromSensitiveVariable(c, path)
}

// exposureOf decides how the field path of c is shown under opt.
func exposureOf(c *plan.Change, path string, opt Options) exposure {
	switch {
	case opt.ShowSensitive:
		return inClear
	case fromSensitiveVariable(c, path):
		return withheld
	case plan.IsPersonal(path):
		return partial
	}
	return inClear
}

// numericField reports fields that are numbers in the configuration, shown
// unquoted as HCL shows numbers.
func numericField(path string) bool { return plan.KindOf(path) == plan.KindNumber }

// humanValue renders one value for people: HCL syntax, "(none)" for nothing.
func humanValue(path string, v *string, e exposure) string {
	if v == nil {
		return "(none)"
	}
	switch e {
	case withheld:
		return sensitiveValue
	case partial:
		return hclQuote(Mask(path, *v))
	}
	if numericField(path) {
		if _, err := strconv.ParseInt(*v, 10, 64); err == nil {
			return *v
		}
	}
	return hclQuote(*v)
}

// jsonValue renders one value for scripts: null for nothing, a number for
// numeric fields, else a string, masked like the human view.
func jsonValue(path string, v *string, e exposure) any {
	if v == nil {
		return nil
	}
	switch e {
	case withheld:
		return sensitiveValue
	case partial:
		return Mask(path, *v)
	}
	if numericField(path) {
		if _, err := strconv.ParseInt(*v, 10, 64); err == nil {
			return json.Number(*v)
		}
	}
	return *v
}

// LogValue is one field's value of c as watch's log lines carry it: masked
// (or withheld) as the JSON plan shows it unless showSensitive, null for
// nothing.
func LogValue(c *plan.Change, path string, v *string, showSensitive bool) any {
	return jsonValue(path, v, exposureOf(c, path, Options{ShowSensitive: showSensitive}))
}
