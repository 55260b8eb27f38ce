# The configuration bench/plan10k plans (and schema's BenchmarkLoad100k
# and internal/command's chunked-plan test load): a shop's two exports,
# the carrier's track numbers of its DBS orders and the delivery slots of
# its LaaS orders, each declared through for_each over csvdecode(file()).
# plan10k -business=false drops the business_id line.
provider "yandex_market" {
  campaign_id = 21000000
  business_id = 9000000
}

variable "courier_service" {
  type    = number
  default = 51
}

locals {
  tracks = csvdecode(file("tracks.csv"))
  slots  = csvdecode(file("slots.csv"))
}

order "shipped" {
  for_each = { for row in local.tracks : row.order_id => row }

  track {
    code                = each.value.track
    delivery_service_id = var.courier_service
  }
}

order "slot" {
  for_each    = { for row in local.slots : row.order_id => row }
  campaign_id = 22000000

  delivery_interval {
    from_date = each.value.from_date
    to_date   = each.value.to_date
    from_time = each.value.from_time
    to_time   = each.value.to_time
  }
}
