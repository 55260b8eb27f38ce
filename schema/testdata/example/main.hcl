provider "yandex_market" {
  campaign_id = 21000000 # default campaign for every order
  business_id = 9000000
}

variable "courier_service" {
  type    = number
  default = 51
}

locals {
  tracks = csvdecode(file("tracks.csv")) # columns: order_id,track
}

order "1001" {
  track {
    code                = "RP123456789RU"
    delivery_service_id = var.courier_service
  }
  delivery_interval {
    from_date = "2026-11-25"
    to_date   = "2026-11-25"
    from_time = "10:00"
    to_time   = "14:00"
  }
  recipient {
    first_name  = "Ivan"
    last_name   = "Petrov"
    middle_name = "Sergeevich"
    phone       = "+79990001122"
  }
}

order "from_carrier" {
  for_each = { for row in local.tracks : row.order_id => row }
  id       = each.key
  track {
    code                = each.value.track
    delivery_service_id = var.courier_service
  }
}

order "1002" {
  delivery_interval {
    from_date = data.delivery_intervals.o1002.available[0].from_date
    to_date   = data.delivery_intervals.o1002.available[0].to_date
    from_time = data.delivery_intervals.o1002.available[0].from_time
    to_time   = data.delivery_intervals.o1002.available[0].to_time
  }
}

data "delivery_intervals" "o1002" {
  order_id = 1002
}

data "delivery_options" "msk" {
  items           = [{ offer_id = "SKU-1", count = 2, warehouse_id = 1 }]
  courier_address = "Moscow, Lva Tolstogo 16"
}
