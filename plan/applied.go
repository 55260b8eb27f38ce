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
func Applied(k Key, targets map[string]string, o provider.Order) bool {
	if len(targets) == 0 {
		return false
	}
	iv := currentInterval(o)
	c := currentCustomer(o)
	// A track is one (code, service) pair: both must be on the same track.
	code, hasCode := targets[FieldTrackCode]
	svc, hasSvc := targets[FieldTrackService]
	if hasCode || hasSvc {
		found := false
		for _, t := range o.Delivery.Tracks {
			if (!hasCode || k.Fingerprint(FieldTrackCode, strings.TrimSpace(t.Code)) == code) &&
				(!hasSvc || k.Fingerprint(FieldTrackService, strconv.FormatInt(t.DeliveryServiceID, 10)) == svc) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for path, want := range targets {
		var have []string
		switch path {
		case FieldTrackCode, FieldTrackService:
			continue // checked above, as a pair
		case FieldIntervalFromDate:
			have = []string{iv.FromDate}
		case FieldIntervalToDate:
			have = []string{iv.ToDate}
		case FieldIntervalFromTime:
			have = []string{iv.FromTime}
		case FieldIntervalToTime:
			have = []string{iv.ToTime}
		case FieldFirstName:
			have = []string{NormName(c.FirstName)}
		case FieldLastName:
			have = []string{NormName(c.LastName)}
		case FieldMiddleName:
			have = []string{NormName(c.MiddleName)}
		case FieldPhone:
			have = []string{NormPhone(c.Phone)}
		default:
			return false
		}
		found := false
		for _, h := range have {
			if k.Fingerprint(path, h) == want {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
