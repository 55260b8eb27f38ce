package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderform/orderform/provider"
)

// The table is consistent: every field belongs to one block, every block's
// call is one the table makes, and what the views and the journal derive
// from it (kinds, personal data, the blocks a model allows) is what the
// API's rules say.
func TestFieldTable(t *testing.T) {
	seen := map[string]bool{}
	for _, b := range blocks {
		if callOf(b.call) == nil {
			t.Errorf("block %s: call %q is not in the table", b.name, b.call)
		}
		if b.declared == nil || b.observe == nil {
			t.Errorf("block %s: no declared or observe", b.name)
		}
		for _, f := range b.fields {
			if seen[f.path] {
				t.Errorf("field %s is listed twice", f.path)
			}
			seen[f.path] = true
			if got := block(f.path); got != b.name {
				t.Errorf("block(%s) = %q, want %q", f.path, got, b.name)
			}
			if f.desired == nil {
				t.Errorf("field %s: no desired value", f.path)
			}
		}
	}
	for path, want := range map[string]struct {
		kind     ValueKind
		personal bool
	}{
		FieldTrackCode:        {KindText, false},
		FieldTrackService:     {KindNumber, false},
		FieldIntervalFromDate: {KindDate, false},
		FieldIntervalToTime:   {KindTime, false},
		FieldFirstName:        {KindName, true},
		FieldLastName:         {KindName, true},
		FieldMiddleName:       {KindName, true},
		FieldPhone:            {KindPhone, true},
		FieldDeliveryDate:     {KindDate, false},
		FieldDeliveryReason:   {KindText, false},
		"track.owner":         {KindText, false},
	} {
		if KindOf(path) != want.kind || IsPersonal(path) != want.personal {
			t.Errorf("%s: kind %v personal %v, want %v %v", path, KindOf(path), IsPersonal(path), want.kind, want.personal)
		}
	}
	for model, want := range map[string][]string{
		provider.ModelDBS:  {"track", "delivery_date"},
		provider.ModelLaaS: {"delivery_interval", "recipient"},
		provider.ModelFBS:  nil,
		"":                 nil,
	} {
		if diff := cmp.Diff(want, Blocks(model)); diff != "" {
			t.Errorf("Blocks(%q) (-want +got):\n%s", model, diff)
		}
	}
	if diff := cmp.Diff([]string{provider.ModelDBS, provider.ModelLaaS}, Models()); diff != "" {
		t.Errorf("Models (-want +got):\n%s", diff)
	}
	if !CallTrack.Synchronous() || !CallDeliveryDate.Synchronous() || CallUpdate.Synchronous() || CallKind("unheard_of").Synchronous() {
		t.Error("a track and a delivery date are synchronous; an update, and a call the table does not know, are not")
	}
	if !ReadsRecipient("recipient") || !ReadsRecipient(FieldPhone) || ReadsRecipient("track") || ReadsRecipient(FieldTrackCode) {
		t.Error("only the recipient needs the order's recipient read")
	}
}

// Plan and import share the gates: a terminal status ends every change.
func TestTerminal(t *testing.T) {
	for status, want := range map[string]bool{
		provider.StatusDelivered: true, provider.StatusCancelled: true,
		provider.StatusProcessing: false, provider.StatusPickup: false, "UNPAID": false,
	} {
		if Terminal(status) != want {
			t.Errorf("Terminal(%s) = %v, want %v", status, !want, want)
		}
	}
}
