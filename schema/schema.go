package schema

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// LoadOptions carries the values given to input variables from outside the
// configuration.
type LoadOptions struct {
	// VarArgs are the -var and -var-file arguments, interleaved as they were
	// given: the later one wins whatever its kind, as in Terraform. A
	// -var-file path is relative to the configuration directory, or
	// absolute. The directory's orderform.ofvars and *.auto.ofvars are
	// loaded before them without being named.
	VarArgs []VarArg
	// Env is an os.Environ()-style list; ORDERFORM_VAR_name entries give
	// values to variables. Nil means no environment.
	Env []string
}

// VarArg is one -var (Value is "NAME=VALUE") or -var-file (File is true and
// Value is the path) argument.
type VarArg struct {
	File  bool
	Value string
}

// Config is a loaded configuration directory. It is safe to call Orders and
// Files from several goroutines.
type Config struct {
	Dir      string
	Provider Provider
	Backend  Backend
	Data     []DataSource // declaration order

	files map[string]*hcl.File
	eval  *evaluator
}

// HasOrders reports whether the configuration declares an order block.
func (c *Config) HasOrders() bool {
	return c != nil && c.eval != nil && len(c.eval.orders) > 0
}

// Files returns the parsed files by name, configuration and variable files
// alike, for diagnostic snippets (hcl.NewDiagnosticTextWriter).
func (c *Config) Files() map[string]*hcl.File {
	if c == nil {
		return nil
	}
	return c.files
}

// Provider is the provider "yandex_market" block. Values are as declared;
// the command layer resolves the environment (a declared value wins).
type Provider struct {
	CampaignID, BusinessID int64 // 0 = not set
	Endpoint, APIKey       string
	// Sandbox is the path of the emulator's seed file relative to Dir
	// ("" = the real API).
	Sandbox   string
	DeclRange hcl.Range
}

// Campaign is the campaign of an order or data block that declares the
// campaign ID declared (0: none): its own, else the provider block's. It
// is the one place that default is applied. Load and Orders report a block
// left with neither, so after them without errors it is never 0.
func (p Provider) Campaign(declared int64) int64 {
	if declared != 0 {
		return declared
	}
	return p.CampaignID
}

// Data source kinds.
const (
	KindDeliveryIntervals = "delivery_intervals"
	KindDeliveryOptions   = "delivery_options"
)

// DataSource is one data block, with its arguments evaluated and checked.
type DataSource struct {
	Kind    string // KindDeliveryIntervals or KindDeliveryOptions
	Name    string
	Address string // "data.delivery_intervals.o1002"

	CampaignID int64 // as declared; 0 = the provider's (see Provider.Campaign)

	OrderID int64 // delivery_intervals

	Items          []Item  // delivery_options
	CourierAddress string  // delivery_options: exactly one of CourierAddress
	PickupPointIDs []int64 // and PickupPointIDs is set

	DeclRange hcl.Range
}

// Item is one item of a delivery_options request.
type Item struct {
	OfferID     string
	Count       int
	WarehouseID int64 // required: the options differ per warehouse
}

// DataResults are what the provider read for the data sources, by
// DataSource.Name.
type DataResults struct {
	Intervals map[string][]Interval       // delivery_intervals
	Options   map[string][]DeliveryOption // delivery_options
}

// DeliveryOption is one option of a delivery_options result. In HCL a
// LogisticPointID of 0 and empty times read as null.
type DeliveryOption struct {
	WarehouseID     int64
	Type            string // "courier" | "pickup"
	LogisticPointID int64  // pickup only
	Interval        Interval
	Price           float64
	Currency        string
}

// Order is one declared order instance.
type Order struct {
	Address string // order.LABEL or order.LABEL["KEY"]
	ID      int64
	// CampaignID is the block's campaign_id, else the provider block's
	// (as Provider.Campaign applies it): never 0 once Load and Orders
	// report no error.
	CampaignID int64
	Track      *Track
	Interval   *Interval
	Recipient  *Recipient
	// DeliveryDate is the day a DBS order's delivery moves to.
	DeliveryDate *DeliveryDate
	// Sensitive lists the attribute paths whose value derives from a
	// sensitive variable, such as "track.code" or "recipient.phone".
	Sensitive []string
	// DeclRange is the order block's header (shared by its instances).
	DeclRange hcl.Range
	// Ranges maps attribute paths ("id", "track", "track.code",
	// "delivery_interval.from_date", ...) to the range of their expression
	// (for a nested block: its header). Instances of one block share the
	// map: treat it as read-only.
	Ranges map[string]hcl.Range
}

// Track is the order's track block.
type Track struct {
	Code              string
	DeliveryServiceID int64
}

// Interval is a delivery interval: canonical "YYYY-MM-DD" and "HH:MM".
type Interval struct {
	FromDate, ToDate, FromTime, ToTime string
}

// Recipient holds the declared recipient fields; nil means not declared,
// so not managed. Names are trimmed of surrounding spaces.
type Recipient struct {
	FirstName, LastName, MiddleName, Phone *string
}

// DeliveryDate is the order's delivery_date block: the day its delivery
// moves to (canonical "YYYY-MM-DD") and who asked for the move, in the
// API's words: "USER_MOVED_DELIVERY_DATES" (the buyer) or
// "PARTNER_MOVED_DELIVERY_DATES" (the shop, which counts against it).
type DeliveryDate struct {
	ToDate, Reason string
}

// markKind is the type of this package's cty marks, so that they cannot
// collide with marks of other packages.
type markKind int

// sensitiveMark is carried by values derived from a sensitive variable.

const sensitiveMark markKind = 1

// evaluator holds everything phase 2 needs, built once by Load.
type evaluator struct {
	funcs  map[string]function.Function
	varVal cty.Value // object of all variables
	locals *localSet
	orders []*orderBlock
	data   []*dataBlock
	// providerHasCampaign: the provider block declares campaign_id (even
	// if it is wrong: then its own error is enough); providerCampaign is
	// its value, every order's that declares none.
	providerHasCampaign bool
	providerCampaign    int64
	// loadErrors: Load reported errors, so unknown values in phase 2 are
	// their consequence, not a new problem.
	loadErrors bool
	reported   map[diagKey]bool // diagnostics returned by Load
	fileOrder  map[string]int
	budget     *budget // what each evaluation pass may build
	// final: the orders of phase 1 when they are already final (no data
	// source, no error), so that Orders does not evaluate every instance
	// a second time to the same result.
	final []Order
	// released: Load's phase 1 let go of locals that the blocks after
	// did not need (see evalOrders).
	released bool
}
