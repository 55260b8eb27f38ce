# Track numbers for many orders at once, straight from the carrier's CSV
# export (columns order_id,track). One order instance per row:
# order.carrier["1001"], order.carrier["1004"], ...
#
#   go run . -chdir=examples/bulk-tracks plan
#   go run . -chdir=examples/bulk-tracks plan -target='order.carrier["1004"]'

provider "yandex_market" {
  campaign_id = 21000000
  business_id = 9000000
  sandbox     = "sandbox.json" # a copy of the quick start's seed
}

variable "courier_service" {
  type    = number
  default = 51
}

locals {
  rows = csvdecode(file("tracks.csv"))
}

order "carrier" {
  for_each = { for row in local.rows : row.order_id => row }

  track {
    code                = trimspace(each.value.track)
    delivery_service_id = var.courier_service
  }
}
