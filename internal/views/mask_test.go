package views

import (
	"bytes"
	"strings"
	"testing"

	"github.com/orderform/orderform/plan"
)

func TestMask(t *testing.T) {
	for _, tc := range []struct {
		field, value, want string
	}{
		{plan.FieldPhone, "+79990001122", "+*********22"},
		{plan.FieldPhone, "+7 (999) 000-11-22", "+*********22"},
		{plan.FieldPhone, "89990001122", "*********22"},
		{plan.FieldPhone, "+123456", "+****56"},
		{plan.FieldPhone, "+12345", "+*****"}, // too short to show any digit
		{plan.FieldPhone, "unknown", "***"},
		{plan.FieldFirstName, "Пётр", "П***"},
		{plan.FieldLastName, "  Иванова-Петрова ", "И***"},
		{plan.FieldMiddleName, "Sergeevich", "S***"},
		{plan.FieldFirstName, "Я", "***"}, // one letter would be the whole name
		{plan.FieldFirstName, "\x1bX", "***"},
		{plan.FieldFirstName, "", ""},
		{plan.FieldPhone, "", ""},
		{plan.FieldTrackCode, "RP123456789RU", "RP123456789RU"},
		{plan.FieldIntervalFromDate, "2026-11-25", "2026-11-25"},
	} {
		if got := Mask(tc.field, tc.value); got != tc.want {
			t.Errorf("Mask(%s, %q) = %q, want %q", tc.field, tc.value, got, tc.want)
		}
	}
}

// personalPlan carries every kind of secret the views must not leak.
func personalPlan() *plan.Plan {
	return &plan.Plan{Changes: []plan.Change{recipientChange(), secretChange()}}
}

var secrets = []string{phoneBefore, phoneAfter, lastBefore, lastAfter, firstName, secretTrack, oldTrack,
	"0001122", "5554433", "етров", "ванов"}

func leaks(out string) []string {
	var found []string
	for _, s := range secrets {
		if strings.Contains(out, s) {
			found = append(found, s)
		}
	}
	return found
}

// Without -show-sensitive no view shows a recipient's name or phone, or a
// value from a sensitive variable, in any part of it (fields or calls).
func TestMaskedEverywhere(t *testing.T) {
	var human, md bytes.Buffer
	Plan(&human, personalPlan(), nil, Options{})
	Markdown(&md, personalPlan())
	js, err := PlanJSON(personalPlan(), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"human": human.String(), "markdown": md.String(), "json": string(js)} {
		if l := leaks(out); len(l) > 0 {
			t.Errorf("%s view shows %q:\n%s", name, l, out)
		}
		if !strings.Contains(out, "(sensitive value)") {
			t.Errorf("%s view does not say a value is sensitive:\n%s", name, out)
		}
	}

	// And -show-sensitive shows them (Markdown excepted: always masked).
	human.Reset()
	Plan(&human, personalPlan(), nil, Options{ShowSensitive: true})
	js, err = PlanJSON(personalPlan(), nil, Options{ShowSensitive: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"human": human.String(), "json": string(js)} {
		for _, s := range []string{phoneBefore, phoneAfter, lastBefore, lastAfter, secretTrack, oldTrack} {
			if !strings.Contains(out, s) {
				t.Errorf("%s view with -show-sensitive lacks %q:\n%s", name, s, out)
			}
		}
	}
}
