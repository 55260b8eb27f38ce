// Package tracksconfig writes the configuration the apply benchmarks run:
// one for_each order block over a carrier's CSV of tracks, as a seller's
// bulk export looks, in one DBS campaign of business 9000000.
package tracksconfig

import (
	"fmt"
	"os"
	"path/filepath"
)

const mainHCL = `provider "yandex_market" {
  campaign_id = %d
  business_id = 9000000
}

locals {
  tracks = csvdecode(file("tracks.csv"))
}

order "shipped" {
  for_each = { for row in local.tracks : row.order_id => row }

  track {
    code                = each.value.track
    delivery_service_id = 51
  }
}
`

// Write puts main.hcl and tracks.csv (csv: its rows "order_id,track", the
// header included) into dir.
func Write(dir string, campaign int64, csv string) error {
	for name, data := range map[string]string{"main.hcl": fmt.Sprintf(mainHCL, campaign), "tracks.csv": csv} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}
