// Package sandbox is the emulator of the part of the Yandex Market Partner API
// that orderform uses: an http.Handler that answers like the real API (paths,
// JSON shapes, both date formats, error envelopes, status and selling-model
// gates, rate limits, asynchronous order updates) from a state kept in
// memory and saved to a JSON file. Tests use it through httptest, `orderform
// sandbox` serves it, and the provider block's `sandbox` attribute embeds it.
// It is the stage below provider: it knows the API, not the client; code that
// talks to the API belongs in provider, not here.
//
// # Endpoints
//
//	GET  /v2/campaigns/{campaignId}/orders/{orderId}                  get_order        {"order": OrderDTO}, DD-MM-YYYY
//	GET  /v2/campaigns/{campaignId}/orders                            list_orders      {"orders", "paging"}, DD-MM-YYYY
//	POST /v1/businesses/{businessId}/orders                           business_orders  {"orders", "paging"}, YYYY-MM-DD, ISO 8601
//	GET  /v2/campaigns/{campaignId}                                   get_campaign     {"campaign"}
//	POST /v2/campaigns/{campaignId}/orders/{orderId}/delivery/track   track            DBS only, synchronous
//	PUT  /v2/campaigns/{campaignId}/orders/{orderId}/delivery/date    delivery_date    DBS only, synchronous
//	POST /v1/campaigns/{campaignId}/orders/update-options             update_options   LaaS only
//	POST /v1/campaigns/{campaignId}/orders/update                     update           LaaS only, asynchronous
//	POST /v1/businesses/{businessId}/operations                       operations       status of update operations
//	POST /v1/campaigns/{campaignId}/delivery-options                  delivery_options LaaS only
//
// Every request needs the Api-Key header: without it the answer is 401, with
// a key that is not accepted 403 (the spec's 401 is "no authorization data",
// its 403 "authorization data wrong or access forbidden"). Rate limits are
// fixed windows per endpoint and campaign (business for the business
// endpoints) with the documented quotas, plus the documented parallel
// limits; a refused request gets HTTP 420 and is not processed. Every answer
// of a known endpoint carries X-RateLimit-Resource-Limit, -Remaining and
// -Until (RFC 1123, rounded up to the second).
//
// The table in routes.go is the one place an endpoint is described: its
// name, method and http.ServeMux pattern, documented limits, whether it
// writes, what orders a request names and its handler. Another method on a
// known path answers 405 METHOD_NOT_ALLOWED, any other path (unclean ones
// included, which the mux would redirect) 404 NOT_FOUND, both with the
// error envelope.
//
// delivery/date (setOrderDeliveryDate) takes {"dates": {"toDate":
// "YYYY-MM-DD"}, "reason": "USER_MOVED_DELIVERY_DATES" |
// "PARTNER_MOVED_DELIVERY_DATES"} for an order in PROCESSING or DELIVERY
// (else 400 STATUS_NOT_ALLOWED); a missing or malformed date, a date before
// today (Moscow, on the server's clock) or another reason is 400
// BAD_REQUEST. It answers {"status": "OK"} with delivery.dates.toDate
// changed (fromDate too when it was later); the same date again changes
// nothing. Moves with PARTNER_MOVED_DELIVERY_DATES are counted in the order's
// partnerDateMoves; the spec documents the cancellation substatus
// TOO_MANY_DELIVERY_DATE_CHANGES but not after how many moves, so only with
// Options.PartnerMovesLimit does the move that reaches the limit cancel the
// order.
//
// Files: routes.go is routing (the table, the mux, path parameters),
// server.go a request's way through auth, limits and faults to the handler,
// control.go what tests do from outside the API (faults, latency, settling),
// notify.go notifications (queue, sending, SetStatus), timeline.go the
// scripted status changes,
// calls.go call recording (the latest Options.KeepCalls, and Wrote),
// persist.go the state file, limits.go quotas, orders.go the reads, writes.go
// the writes and operations, state.go the state and its validation, wire.go
// the envelope and date formats.
//
// orders/update answers at once with one operation per part sent and applies
// it only once Options.UpdateDelay has passed: each operation stores its
// applyAt, and whatever touches the state first after that instant (a
// request, Snapshot, Order, Save) settles it, so pending operations survive a
// restart through the state file.
//
// # Notifications
//
// With Options.NotifyURL the server pushes the Market's notifications (the
// provider/notification types) to NotifyURL + "/notification" when an order
// changes, whatever changed it (UpdateOrder and SetStatus, an API write, a
// settled operation, the timeline):
//
//	status changes                 ORDER_STATUS_UPDATED {campaignId, orderId, status, substatus, updatedAt}
//	status becomes CANCELLED       ORDER_CANCELLED {campaignId, orderId, cancelledAt, items[{offerId, count}]}
//	delivery dates or times move   ORDER_UPDATED {..., updateType: DELIVERY_DATE_UPDATED, updatedAt}
//	shipment date moves            ORDER_UPDATED {..., updateType: SHIPMENT_DATE_UPDATED, updatedAt}
//
// A track or a recipient change sends nothing: the Market has no
// notification that says so. The instant is the order's new updatedAt. The
// server's lock only queues a notification; one goroutine POSTs them in
// queue order, each attempt limited by NotifyTimeout (10 s), and sends one
// not answered 200 again every NotifyRetry (a minute) up to NotifyAttempts
// (61: an hour), as the Market does. NotifyCopies sends each one N times,
// the duplicates a receiver must absorb. Notifications returns every one
// with its attempts and answers; WaitNotifications waits until none is
// left to send; Close stops the sending and the timeline.
//
// The timeline (State.Timeline) scripts status changes: {"after": "2s",
// "order": 1001, "status": "PROCESSING", "substatus": "STARTED"} happens 2 s
// (on Options.Now's clock) after New; a timer wakes the server then, and any
// touch of the state plays what is due. A played event gets playedAt, is
// saved with the state (it counts as a write, see Wrote) and never plays
// again.
//
// # State file
//
// A JSON document (see State); instants are RFC 3339, delivery dates
// "YYYY-MM-DD", times "HH:MM" or "HH:MM:SS" (GET order answers them as
// stored). Unknown fields are errors, so typos do not pass silently.
//
//	{
//	  "apiKeys": ["sandbox"],
//	  "businesses": [{"id": 9000000, "name": "..."}],
//	  "campaigns": [{"id": 22000000, "businessId": 9000000, "placementType": "LAAS", "name": "...",
//	    "warehouses": [{"id": 1,
//	      "courier": [{"fromDate": "2026-12-01", "toDate": "2026-12-01", "fromTime": "10:00", "toTime": "14:00",
//	                   "price": 290, "paymentMethods": ["YANDEX"], "addressContains": ["Москва"]}],
//	      "pickup": [{"logisticPointId": 101, "options": [{"fromDate": "2026-12-01", "toDate": "2026-12-02", "price": 0}]}]}]}],
//	  "orders": [{"id": 2001, "campaignId": 22000000, "status": "PROCESSING", "substatus": "STARTED",
//	    "creationDate": "2026-11-21T12:00:00+03:00", "updatedAt": "2026-11-21T12:05:31+03:00",
//	    "delivery": {"type": "DELIVERY", "serviceName": "...", "deliveryServiceId": 1005705,
//	      "dates": {"fromDate": "2026-11-27", "toDate": "2026-11-27", "fromTime": "10:00", "toTime": "14:00"},
//	      "tracks": [{"trackCode": "...", "deliveryServiceId": 51}],
//	      "address": {"country": "Россия", "city": "Москва", "street": "...", "house": "19", "apartment": "101",
//	                  "phone": "+79035550101", "recipient": "Новиков Сергей Андреевич"}},
//	    "buyer": {"firstName": "Сергей", "lastName": "Новиков", "middleName": "Андреевич"},
//	    "items": [{"id": 1, "offerId": "SAM-3L-BRASS", "offerName": "...", "count": 1, "price": 8990}],
//	    "availableIntervals": [{"fromDate": "2026-11-27", "toDate": "2026-11-27", "fromTime": "14:00", "toTime": "18:00"}],
//	    "failOperations": false}],
//	  "operations": [{"id": "...", "type": "ORDER_RECIPIENT_UPDATE", "status": "IN_PROGRESS", "businessId": 9000000,
//	    "campaignId": 22000000, "orderId": 2001, "customer": {...}, "submittedAt": "...", "applyAt": "...", "fail": false}],
//	  "operationSeq": 1,
//	  "timeline": [{"after": "2s", "order": 1001, "status": "DELIVERY", "substatus": "DELIVERY_SERVICE_RECEIVED",
//	    "playedAt": "..."}]
//	}
//
// Derived fields may be left out: delivery.partnerType (SHOP for DBS,
// YANDEX_MARKET otherwise), address.recipient ("Last First Middle" of the
// buyer), updatedAt (the creation date).
//
// # Seed orders (testdata/sandbox-small.json)
//
// Business 9000000 has campaigns 21000000 (DBS), 22000000 (LAAS, warehouses 1
// in Moscow and 2 in Saint Petersburg) and 23000000 (FBS); business 9100000
// has campaign 31000000 (DBS). The API key is "sandbox".
//
//	1001 DBS PROCESSING, no track: set a track
//	1002 DBS PROCESSING, track 1523876401 at service 51: the same track is no change, another replaces it
//	1003 DBS DELIVERED: a track is blocked (STATUS_NOT_ALLOWED)
//	1004 DBS DELIVERY, times answered as HH:MM:SS, a track at service 1: a track of service 51 is added beside it
//	1005 DBS PICKUP (pickup point in Saint Petersburg): a track is still allowed
//	1006 DBS CANCELLED: blocked
//	1007 DBS UNPAID: a track is blocked (STATUS_NOT_ALLOWED)
//	1008 DBS PROCESSING with cancelRequested
//	1009 DBS PROCESSING, fake (a test order): absent from GET orders unless fake=true or named in orderIds
//	2001 LaaS PROCESSING, 3 available intervals incl. the current one: move the interval, change the recipient
//	2002 LaaS DELIVERY, current interval answered as 14:00:00-18:00:00 and available as 14:00-18:00 (same interval), 4 intervals
//	2003 LaaS DELIVERED: update blocked (ORDER_IN_TERMINAL_STATE), no intervals
//	2004 LaaS CANCELLED: update blocked
//	2005 LaaS PROCESSING, failOperations: every update operation ends FAILED, the order stays as it is
//	2006 LaaS PROCESSING, pickup delivery, no intervals: an interval is INVALID_DELIVERY_OPTION, a recipient change works
//	2007 LaaS UNPAID, 2 intervals: updates allowed (not terminal)
//	2008 LaaS PROCESSING in Saint Petersburg, buyer without a middle name, a two-day interval among 3
//	3001 FBS PROCESSING: track and update refused (CAMPAIGN_TYPE_NOT_SUPPORTED)
//	4001 DBS PROCESSING of business 9100000: absent from business 9000000's answers
package sandbox
