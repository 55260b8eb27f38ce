# The quick start: a real plan and apply against orderform's built-in Market
# API emulator, seeded from sandbox.json beside this file. No credentials, no
# network. The emulator's state is kept under .orderform/, so running plan
# after apply shows what the Market did; delete .orderform/ to start over.
#
#   go run . -chdir=examples/quickstart apply -auto-approve
#   go run . -chdir=examples/quickstart plan

provider "yandex_market" {
  campaign_id = 21000000 # the DBS store: the seller delivers, tracks are ours to set
  business_id = 9000000  # lets orderform read in batches and follow operations
  sandbox     = "sandbox.json"
}

variable "courier_service" {
  type        = number
  default     = 51
  description = "Delivery service ID of our courier company (GET delivery/services)."
}

# A parcel handed to the courier: tell the Market its track number.
order "1001" {
  track {
    code                = "RP123456789RU"
    delivery_service_id = var.courier_service
  }
}

# Already has exactly this track: no change, ever.
order "1002" {
  track {
    code                = "1523876401"
    delivery_service_id = var.courier_service
  }
}

# A LaaS order (the Market delivers): move the courier slot to the
# afternoon and correct the recipient's phone. Both go in one orders/update,
# which the Market applies asynchronously; apply follows it to the end.
order "2001" {
  campaign_id = 22000000

  delivery_interval {
    from_date = "2026-11-27"
    from_time = "14:00"
    to_time   = "18:00"
  }

  recipient {
    phone = "+79035550199"
  }
}
