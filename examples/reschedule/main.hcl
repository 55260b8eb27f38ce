# Moving courier delivery intervals. The Market decides which intervals an
# order may move to; the delivery_intervals data source reads them
# (orders/update-options) so the configuration can pick one by position
# instead of hard-coding a slot that may not exist.
#
#   go run . -chdir=examples/reschedule plan

provider "yandex_market" {
  campaign_id = 22000000 # the LaaS store: the Market delivers
  business_id = 9000000
  sandbox     = "sandbox.json" # a copy of the quick start's seed
}

data "delivery_intervals" "o2002" {
  order_id = 2002
}

# The buyer asked for a later delivery: take the second interval offered.
order "2002" {
  delivery_interval {
    from_date = data.delivery_intervals.o2002.available[1].from_date
    to_date   = data.delivery_intervals.o2002.available[1].to_date
    from_time = data.delivery_intervals.o2002.available[1].from_time
    to_time   = data.delivery_intervals.o2002.available[1].to_time
  }
}

# A fixed slot that must be one of the offered ones; if the Market stops
# offering it, plan fails for this order and lists what is available.
order "2008" {
  delivery_interval {
    from_date = "2026-12-05"
    from_time = "12:00"
    to_time   = "16:00"
  }
}

# Where could a new parcel of these items go, and when? (Read-only: data
# sources never change anything.)
data "delivery_options" "moscow" {
  items           = [{ offer_id = "SAM-3L-BRASS", count = 1, warehouse_id = 1 }]
  courier_address = "Москва, улица Льва Толстого, 16"
}

