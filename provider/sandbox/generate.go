package sandbox

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// Generate makes a valid state with n orders split between a DBS campaign
// (21000000) and a LaaS campaign (22000000) of business 9000000, the same for
// the same n and seed: for benchmarks and load tests that need more than the
// seed files. Order IDs start at 100001; odd ones are DBS, even ones LaaS.
// Orders alike share their Items and AvailableIntervals slices: replace
// them rather than change their elements.
func Generate(n int, seed int64) *State {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x5eed))
	msk := moscow()
	base := time.Date(2026, time.November, 1, 9, 0, 0, 0, msk)
	// Days, names and numbers repeat across orders: each string is made
	// once and shared, as the orders of a real shop share them, so that a
	// state of 100,000 orders costs what its orders are, not its copies.
	// (A day is its date: the instants of one day are minutes apart.)
	days := map[[3]int]string{}
	day := func(d time.Time) string {
		y, m, dd := d.Date()
		k := [3]int{y, int(m), dd}
		s, ok := days[k]
		if !ok {
			s = d.Format(time.DateOnly)
			days[k] = s
		}
		return s
	}
	var numbers []string
	number := func(n int) string {
		for len(numbers) <= n {
			numbers = append(numbers, strconv.Itoa(len(numbers)))
		}
		return numbers[n]
	}
	names := map[[3]string]string{}
	items := map[int][]Item{}
	type slotsKey struct {
		day string
		n   int
	}
	available := map[slotsKey][]Interval{}
	// The strings of one order alone (phones, buyer IDs, track codes) are
	// written one after another into text, and cut from one string of it
	// at the end: spans are where each ends, in the order they were
	// written.
	text := make([]byte, 0, n*25)
	var spans []int
	cut := func(b []byte) { text, spans = b, append(spans, len(b)) }
	slots := [][2]string{{"10:00", "14:00"}, {"14:00", "18:00"}, {"18:00", "22:00"}}

	st := &State{
		APIKeys:    []string{"sandbox"},
		Businesses: []Business{{ID: 9000000, Name: "ООО «Самоварный двор»"}},
		Campaigns: []Campaign{
			{ID: 21000000, BusinessID: 9000000, PlacementType: "DBS", Name: "Самоварный двор — доставка магазином"},
			{ID: 22000000, BusinessID: 9000000, PlacementType: "LAAS", Name: "Самоварный двор — Логистика Маркета",
				Warehouses: []Warehouse{{ID: 1,
					Courier: []CourierOption{{Interval: Interval{"2026-12-01", "2026-12-01", "10:00", "14:00"}, Price: 290}},
					Pickup:  []PickupPoint{{LogisticPointID: 101, Options: []PickupOption{{"2026-12-01", "2026-12-02", 0}}}},
				}}},
		},
		Orders: make([]OrderState, 0, n),
	}
	firstNames := []string{"Пётр", "Анна", "Дмитрий", "Елена", "Андрей", "Ольга", "Илья", "Мария", "Сергей", "Татьяна"}
	lastNames := []string{"Иванов", "Смирнова", "Кузнецов", "Морозова", "Волков", "Попова", "Соколов", "Лебедева", "Новиков", "Фёдорова"}
	middleNames := []string{"Сергеевич", "Викторовна", "Алексеевич", "Игоревна", "Николаевич", "Дмитриевна", "Павлович", "Сергеевна", "Андреевич", "Михайловна"}
	streets := []string{"улица Льва Толстого", "Профсоюзная улица", "Ленинский проспект", "Тверская улица", "улица Вавилова"}
	statuses := []string{"PROCESSING", "PROCESSING", "PROCESSING", "DELIVERY", "PICKUP", "DELIVERED", "CANCELLED", "UNPAID"}
	substatus := map[string]string{"PROCESSING": "STARTED", "DELIVERY": "DELIVERY_SERVICE_RECEIVED",
		"PICKUP": "PICKUP_SERVICE_RECEIVED", "DELIVERED": "DELIVERY_SERVICE_DELIVERED",
		"CANCELLED": "USER_CHANGED_MIND", "UNPAID": "AWAIT_PAYMENT"}

	for i := range n {
		id := int64(100001 + i)
		dbs := id%2 == 1
		k := rng.IntN(len(firstNames))
		// The name lists alternate male and female: k%2 keeps the three in one gender.
		first, last, middle := firstNames[k], lastNames[rng.IntN(5)*2+k%2], middleNames[rng.IntN(5)*2+k%2]
		status := statuses[rng.IntN(len(statuses))]
		created := base.Add(time.Duration(i) * time.Minute)
		deliveryDay := created.AddDate(0, 0, 3+rng.IntN(5))
		slot := slots[rng.IntN(len(slots))]
		o := OrderState{
			ID:           id,
			Status:       status,
			Substatus:    substatus[status],
			CreationDate: created,
			UpdatedAt:    created.Add(time.Duration(rng.IntN(3600)) * time.Second),
			Delivery: Delivery{
				Type:  "DELIVERY",
				Dates: Dates{FromDate: day(deliveryDay), ToDate: day(deliveryDay), FromTime: slot[0], ToTime: slot[1]},
				Address: Address{Country: "Россия", City: "Москва", Street: streets[rng.IntN(len(streets))],
					House: number(1 + rng.IntN(120)), Apartment: number(1 + rng.IntN(300))},
			},
			Buyer: Buyer{FirstName: first, LastName: last, MiddleName: middle, Type: "PERSON"},
		}
		cut(fmt.Appendf(text, "+7916%07d", rng.IntN(10000000))) // the phone
		cut(fmt.Appendf(text, "%010x", rng.Uint64()>>24))       // the buyer's ID
		count := 1 + rng.IntN(3)
		if items[count] == nil {
			items[count] = []Item{{ID: 1, OfferID: "SAM-3L-BRASS", OfferName: "Самовар электрический 3 л, латунь", Count: count, Price: 8990}}
		}
		o.Items = items[count]
		name := [3]string{last, first, middle}
		if names[name] == "" {
			names[name] = recipientName(last, first, middle)
		}
		o.Delivery.Address.Recipient = names[name]
		if dbs {
			o.CampaignID = 21000000
			o.Delivery.ServiceName, o.Delivery.DeliveryServiceID = "Собственная служба доставки", 99
			if rng.IntN(2) == 0 {
				cut(fmt.Appendf(text, "15%08d", id)) // the track code
				o.Delivery.Tracks = []Track{{DeliveryServiceID: 51}}
			}
		} else {
			o.CampaignID = 22000000
			o.Delivery.ServiceName, o.Delivery.DeliveryServiceID = "Яндекс Доставка", 1005705
			k := slotsKey{day(deliveryDay), 2 + rng.IntN(3)}
			if available[k] == nil {
				for j := range k.n {
					d := deliveryDay.AddDate(0, 0, j/len(slots))
					s := slots[j%len(slots)]
					available[k] = append(available[k], Interval{day(d), day(d), s[0], s[1]})
				}
			}
			o.AvailableIntervals = available[k]
		}
		st.Orders = append(st.Orders, o)
	}
	all, at := string(text), 0
	next := func() string {
		s := all[at:spans[0]]
		at, spans = spans[0], spans[1:]
		return s
	}
	for i := range st.Orders {
		o := &st.Orders[i]
		o.Delivery.Address.Phone = next()
		o.Buyer.ID = next()
		if len(o.Delivery.Tracks) > 0 {
			o.Delivery.Tracks[0].TrackCode = next()
		}
	}
	st.fillDerived()
	return st
}
