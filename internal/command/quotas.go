package command

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderform/orderform/provider"
)

// quotasEnv overrides the client's rate-limit quotas. The documented quotas
// are per hour; a test account, the emulator or a quota raised on request
// counts differently, and a client that paces itself to the wrong quota
// either collects 420s or waits for nothing.
const quotasEnv = "ORDERFORM_QUOTAS"

// parseQuotas reads ORDERFORM_QUOTAS: comma-separated NAME=LIMIT/DURATION
// entries, NAME an endpoint of provider.DefaultQuotas, LIMIT a positive
// integer and DURATION a positive Go duration ("track=100/1s,update=10/1m").
// Blank entries are ignored; "" is no override (nil). Every error names the
// variable and the entry, so it is fixed without reading the code.
func parseQuotas(value string) (map[string]provider.Quota, error) {
	var quotas map[string]provider.Quota
	known := provider.DefaultQuotas()
	for _, entry := range strings.Split(value, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%s: %q: %s (want NAME=LIMIT/DURATION, e.g. track=100/1s)", quotasEnv, entry, fmt.Sprintf(format, a...))
		}
		name, rate, ok := strings.Cut(entry, "=")
		name, rate = strings.TrimSpace(name), strings.TrimSpace(rate)
		if !ok || name == "" {
			return nil, bad("no endpoint name")
		}
		if _, ok := known[name]; !ok {
			return nil, fmt.Errorf("%s: %q: unknown endpoint %q; valid names: %s",
				quotasEnv, entry, name, strings.Join(slices.Sorted(maps.Keys(known)), ", "))
		}
		if _, dup := quotas[name]; dup {
			return nil, bad("%s is given twice", name)
		}
		limitText, periodText, ok := strings.Cut(rate, "/")
		limitText, periodText = strings.TrimSpace(limitText), strings.TrimSpace(periodText)
		if !ok {
			return nil, bad("no /DURATION after the limit")
		}
		limit, err := strconv.Atoi(limitText)
		if err != nil || limit < 1 {
			return nil, bad("the limit %q is not a positive integer", limitText)
		}
		period, err := time.ParseDuration(periodText)
		if err != nil || period <= 0 {
			return nil, bad("the period %q is not a positive Go duration (1s, 500ms, 1m, 1h)", periodText)
		}
		if quotas == nil {
			quotas = map[string]provider.Quota{}
		}
		quotas[name] = provider.Quota{Limit: limit, Period: period}
	}
	return quotas, nil
}
