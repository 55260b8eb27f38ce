package sandbox

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCallsBounded: the latest KeepCalls calls are kept, in order of
// arrival, and the others counted.
func TestCallsBounded(t *testing.T) {
	f := newFixture(t, Options{KeepCalls: 3})
	for _, id := range []string{"1001", "1002", "1003", "1004", "1005"} {
		f.do("GET", "/v2/campaigns/21000000/orders/"+id, "")
	}
	var got []int64
	for _, c := range f.srv.Calls() {
		got = append(got, c.OrderIDs...)
	}
	if diff := cmp.Diff([]int64{1003, 1004, 1005}, got); diff != "" {
		t.Errorf("kept calls (-want +got):\n%s", diff)
	}
	if n := f.srv.CallsDropped(); n != 2 {
		t.Errorf("CallsDropped() = %d, want 2", n)
	}
	f.srv.ResetCalls()
	f.do("GET", "/v2/campaigns/21000000/orders/1006", "")
	if calls, n := f.srv.Calls(), f.srv.CallsDropped(); len(calls) != 1 || calls[0].OrderIDs[0] != 1006 || n != 0 {
		t.Errorf("after ResetCalls: %d calls, %d dropped", len(calls), n)
	}
}

func TestCallsBoundedByDefault(t *testing.T) {
	srv := New(nil, Options{})
	for range defaultKeepCalls + 5 {
		srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nowhere", nil))
	}
	if got := []int{len(srv.Calls()), srv.CallsDropped()}; !cmp.Equal([]int{10000, 5}, got) {
		t.Errorf("calls kept, dropped = %v, want [10000 5]", got)
	}
}

// TestWrote: only a write that took effect counts, however many calls were
// recorded since, and ResetCalls does not forget it.
func TestWrote(t *testing.T) {
	track := func(code string) string { return `{"trackCode": "` + code + `", "deliveryServiceId": 51}` }
	tests := []struct {
		name string
		run  func(f *fixture)
		want bool
	}{
		{"reads only", func(f *fixture) {
			f.do("GET", "/v2/campaigns/21000000/orders/1001", "")
			f.do("POST", "/v1/campaigns/22000000/orders/update-options", `{"id": 2001}`)
		}, false},
		{"refused write", func(f *fixture) {
			f.do("POST", "/v2/campaigns/21000000/orders/1003/delivery/track", track("A"))
		}, false},
		{"unauthorized write", func(f *fixture) {
			f.doKey("POST", "/v2/campaigns/21000000/orders/1001/delivery/track", track("A"), "wrong")
		}, false},
		{"injected failure", func(f *fixture) {
			f.srv.FailNext(Fault{Endpoint: EndpointTrack})
			f.do("POST", "/v2/campaigns/21000000/orders/1001/delivery/track", track("A"))
		}, false},
		{"track", func(f *fixture) {
			f.do("POST", "/v2/campaigns/21000000/orders/1001/delivery/track", track("A"))
		}, true},
		{"update", func(f *fixture) {
			f.do("POST", "/v1/campaigns/22000000/orders/update", `{"order": {"id": 2001, `+customerBody+`}}`)
		}, true},
		{"delivery date", func(f *fixture) {
			f.do("PUT", fmt.Sprintf(datePath, "1001"), dateBody("2026-12-05", "USER_MOVED_DELIVERY_DATES"))
		}, true},
		{"answer dropped", func(f *fixture) {
			f.srv.DropAfterProcessing(Fault{Endpoint: EndpointTrack})
			_, err := send(f.http.URL, "POST", "/v2/campaigns/21000000/orders/1001/delivery/track", track("A"), "sandbox")
			if err == nil {
				f.t.Error("the answer was not dropped")
			}
		}, true},
		{"then many calls and a reset", func(f *fixture) {
			f.do("POST", "/v2/campaigns/21000000/orders/1001/delivery/track", track("A"))
			for range 5 {
				f.do("GET", "/v2/campaigns/21000000", "")
			}
			f.srv.ResetCalls()
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{KeepCalls: 2})
			tt.run(f)
			if got := f.srv.Wrote(); got != tt.want {
				t.Errorf("Wrote() = %v, want %v", got, tt.want)
			}
		})
	}
	if !EndpointDeliveryDate.IsWrite() || EndpointGetOrder.IsWrite() || Endpoint("nowhere").IsWrite() {
		t.Error("IsWrite disagrees with the table")
	}
}
