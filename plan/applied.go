package plan

import (
	"strconv"
	"strings"

	"github.com/orderform/orderform/provider"
)

// Applied reports whether the order already shows every target of a
// submission (field path -> Fingerprint of the value it set). It is how an
// earlier write whose answer never arrived, or whose operation cannot be
// polled, is confirmed by reading the order instead of sending it again.
// A target the order does not show (a call's argument, never part of the
// order's state) is not checked; a submission none of whose targets the
// order shows is never confirmed by reading it.
func Applied(k Key, targets map[string]string, o provider.Order) bool {
	if len(targets) == 0 {
		return false
	}
	byBlock := map[*blockSpec]map[string]string{}
	for path, want := range targets {
		_, b := fieldAt(path)
		if b == nil {
			return false
		}
		if byBlock[b] == nil {
			byBlock[b] = map[string]string{}
		}
		byBlock[b][path] = want
	}
	shown := false
	for b, ts := range byBlock {
		if b.applied != nil {
			if !b.applied(k, ts, o) {
				return false
			}
			shown = true
			continue
		}
		for path, want := range ts {
			f, _ := fieldAt(path)
			if f.current == nil {
				continue
			}
			if k.Fingerprint(path, f.kind.norm(f.current(o))) != want {
				return false
			}
			shown = true
		}
	}
	return shown
}

// appliedTrack: a track is one (code, service) pair, so both must be on
// the same track of the order.
func appliedTrack(k Key, targets map[string]string, o provider.Order) bool {
	code, hasCode := targets[FieldTrackCode]
	svc, hasSvc := targets[FieldTrackService]
	for _, t := range o.Delivery.Tracks {
		if (!hasCode || k.Fingerprint(FieldTrackCode, strings.TrimSpace(t.Code)) == code) &&
			(!hasSvc || k.Fingerprint(FieldTrackService, strconv.FormatInt(t.DeliveryServiceID, 10)) == svc) {
			return true
		}
	}
	return false
}
