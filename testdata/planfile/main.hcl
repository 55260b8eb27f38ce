provider "yandex_market" {
  campaign_id = 21000000
}

order "1001" {
  track {
    code                = "RP123456789RU"
    delivery_service_id = 51
  }
}

order "1002" {
  track {
    code                = "RP000000002RU"
    delivery_service_id = 51
  }
}

order "2001" {
  campaign_id = 22000000
  delivery_interval {
    from_date = "2026-11-28"
    from_time = "10:00"
    to_time   = "14:00"
  }
  recipient {
    first_name = "Мария"
    phone      = "+79035550122"
  }
}
