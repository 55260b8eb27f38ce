package command

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/orderform/orderform/apply"
	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/internal/views"
	"github.com/orderform/orderform/internal/watch"
	"github.com/orderform/orderform/journal"
	"github.com/orderform/orderform/plan"
	"github.com/orderform/orderform/provider/notification"
	"github.com/orderform/orderform/schema"
)

// watchWorkers is how many reconciles run at once: a notification's order
// is not kept waiting behind a slow reconcile of everything. Writes are one
// at a time whatever the number (watcher.writeMu).
const watchWorkers = 4

// watchWait is how long a reconcile follows the asynchronous operations it
// submitted: not at all (apply -wait=0). Following would hold the
// campaigns' locks for as long as the Market takes; the journal keeps the
// submission open, and the next reconcile (the Market's notification of
// the change, or the interval) reads the order and settles it.
const watchWait = 0

// runWatch is watch: arguments, then the watcher until SIGINT or SIGTERM.
func runWatch(ctx context.Context, m *meta, args []string) int {
	a, diags := arguments.ParseWatch(args)
	opt := m.viewOptions(a.NoColor || a.ViewType == arguments.ViewJSON, a.ShowSensitive, m.Stderr)
	if diags.HasErrors() {
		return m.commandLineError("watch", diags, opt)
	}
	allow, err := watch.ParseAllowFrom(a.AllowFrom)
	if err != nil {
		m.errorf(opt, "-allow-from: %v", err)
		return exitError
	}
	w := newWatcher(m, a)
	m.maxWait = planWaitLimit
	// The client's notes (retries, rate-limit waits) become log lines.
	m.onNote.Store(func(line string) { w.log.Info("note", "message", line) })

	// The first configuration must be good: there is nothing to fall back on.
	if diags := w.load(ctx); diags.HasErrors() {
		if a.ViewType == arguments.ViewJSON {
			w.log.Error("configuration invalid", "diagnostics", diagLines(diags))
		} else {
			views.Diagnostics(m.Stderr, diags, w.lastFiles, opt)
		}
		return exitError
	}
	defer w.close()
	ctx, stop := context.WithCancel(ctx)
	defer stop()

	var hs *http.Server
	served := make(chan error, 1)
	if a.Listen != "" {
		ln, err := net.Listen("tcp", a.Listen)
		if err != nil {
			m.errorf(opt, "-listen=%s: %v", a.Listen, err)
			return exitError
		}
		hs = watch.NewServer(a.Listen, w.routes(allow))
		w.log.Info("listening", "addr", ln.Addr().String(), "notification", "POST /notification")
		go func() { served <- hs.Serve(ln) }()
	}
	w.log.Info("watch started", "dir", m.relDir, "interval", a.Interval.String(), "observe", a.Observe)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reloads := make(chan struct{})
	go func() { w.watchConfig(ctx, hup); close(reloads) }()

	loop := &watch.Loop{Queue: w.queue, Reconcile: w.reconcile, Interval: a.Interval, Jitter: 0.1, Workers: watchWorkers}
	loopDone := make(chan struct{})
	go func() { loop.Run(ctx); close(loopDone) }()

	code := exitOK
	select {
	case <-ctx.Done():
	case err := <-served:
		w.log.Error("the endpoint stopped", "error", err.Error())
		code = exitError
	}
	w.log.Info("stopping", "reason", "no new work; the writes in flight finish and are journaled")
	if hs != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = hs.Shutdown(sctx)
		cancel()
	}
	stop() // when the endpoint failed: the loop and the reloads end too
	<-loopDone
	<-reloads // before the session closes
	w.log.Info("stopped")
	return code
}

// watcher is one watch run: the configuration in force (reloaded when its
// files change), the queue of reconciles and what the last ones found.
type watcher struct {
	m    *meta
	args *arguments.Watch
	log  *slog.Logger

	queue *watch.Queue
	// mu guards sess: reconciles hold it for reading, a reload swaps it
	// once they are done with the one it replaces.
	mu   sync.RWMutex
	sess *session
	// cur is sess for the endpoint's handler, which must answer at once
	// and so never waits for mu (a reload waiting there for a long
	// reconcile blocks new readers).
	cur atomic.Pointer[session]
	// lastFiles are the files of the last load, for diagnostics' snippets.
	lastFiles map[string]*hcl.File
	// writeMu makes one reconcile at a time write: the backend's locks keep
	// other processes out, not this one's other reconciles (a PostgreSQL
	// advisory lock is reentrant within its session).
	writeMu sync.Mutex
	holder  journal.Holder
	started atomic.Bool
	// failures counts each key's failed reconciles in a row, for the
	// backoff of its retry.
	failMu   sync.Mutex
	failures map[watch.Key]int
	// triggers are why keys were queued, when not the interval's or a
	// notification's: "retry", "reload".
	triggers map[watch.Key]string
	// readsOK: the last reconcile's reads succeeded (/healthz).
	readsOK atomic.Bool
	metrics *watchMetrics
}

// session is one configuration and what it connected to.
type session struct {
	cfg     *schema.Config
	backend journal.Backend
	conn    *connection
	stamp   string
	// declared are the orders the configuration selects, for telling the
	// Market's notifications about them from the others.
	mu       sync.Mutex
	declared map[int64]bool
}

func (s *session) isDeclared(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.declared[id]
}

func (s *session) setDeclared(orders []schema.Order) {
	ids := make(map[int64]bool, len(orders))
	for _, o := range orders {
		ids[o.ID] = true
	}
	s.mu.Lock()
	s.declared = ids
	s.mu.Unlock()
}

func (s *session) close() {
	if s.conn != nil {
		_ = s.conn.close()
	}
	if s.backend != nil {
		_ = s.backend.Close()
	}
}

func newWatcher(m *meta, a *arguments.Watch) *watcher {
	var h slog.Handler
	if a.ViewType == arguments.ViewJSON {
		h = slog.NewJSONHandler(m.Stdout, nil)
	} else {
		h = slog.NewTextHandler(m.Stderr, nil)
	}
	w := &watcher{m: m, args: a, log: slog.New(h), queue: watch.NewQueue(), failures: map[watch.Key]int{}, triggers: map[watch.Key]string{},
		holder: journal.Me("orderform watch "+strings.Join(a.CommandLine, " "), os.Getenv)}
	w.metrics = newWatchMetrics()
	m.onAnswer.Store(w.metrics.answered)
	return w
}

// load reads the configuration and connects for it; on success it is the
// one in force from then on, and the previous one is closed. On errors the
// previous one stays.
func (w *watcher) load(ctx context.Context) hcl.Diagnostics {
	stamp := configStamp(w.m.dir)
	cfg, diags := schema.Load(w.m.relDir, schema.LoadOptions{VarArgs: w.args.Vars, Env: os.Environ()})
	if cfg != nil {
		w.lastFiles = cfg.Files()
	}
	if diags.HasErrors() {
		return diags
	}
	s := &session{cfg: cfg, stamp: stamp}
	w.mu.RLock()
	old := w.sess
	w.mu.RUnlock()
	if old != nil && sameTarget(old.cfg, cfg) {
		// The same API and backend: keep the connection (an embedded
		// sandbox keeps its state; a second one would start from the
		// file the first has not saved yet) and the backend's session.
		s.conn, s.backend = old.conn, old.backend
	} else {
		p := &planned{cfg: cfg}
		if d := w.m.openAll(ctx, p, !w.args.Observe, w.args.Parallelism); d != nil {
			return append(diags, d)
		}
		s.conn, s.backend = p.conn, p.backend
	}
	// The orders the configuration declares without reading anything (an
	// order whose ID comes from a data source is learnt by the first
	// reconcile of everything).
	if orders, d := cfg.Orders(&schema.DataResults{}); !d.HasErrors() {
		if sel, d := selectOrders(orders, cfg.Provider, w.args.Targets, w.args.Excludes); !d.HasErrors() {
			s.setDeclared(sel)
		}
	}
	w.mu.Lock()
	w.sess = s
	w.cur.Store(s)
	w.mu.Unlock()
	if old != nil && old.conn != s.conn {
		old.close()
	}
	for _, d := range diags {
		w.log.Warn("configuration warning", "diagnostic", diagLine(d))
	}
	return nil
}

// sameTarget reports whether two configurations talk to the same API and
// keep their journal in the same backend.
func sameTarget(a, b *schema.Config) bool {
	pa, pb := a.Provider, b.Provider
	pa.DeclRange, pb.DeclRange = hcl.Range{}, hcl.Range{}
	ba, bb := a.Backend, b.Backend
	ba.DeclRange, bb.DeclRange = hcl.Range{}, hcl.Range{}
	return pa == pb && ba == bb
}

func (w *watcher) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sess != nil {
		w.sess.close()
		w.sess = nil
		w.cur.Store(nil)
	}
}

// watchConfig reloads the configuration when its files change (polled
// every second) or on SIGHUP; a reload that does not validate is logged
// and the configuration in force stays.
func (w *watcher) watchConfig(ctx context.Context, hup <-chan os.Signal) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		forced := false
		select {
		case <-ctx.Done():
			return
		case <-hup:
			forced = true
		case <-t.C:
		}
		w.mu.RLock()
		current := w.sess.stamp
		w.mu.RUnlock()
		if !forced && configStamp(w.m.dir) == current {
			continue
		}
		if diags := w.load(ctx); diags.HasErrors() {
			w.metrics.reloads.WithLabelValues("invalid").Inc()
			w.log.Error("configuration invalid: the last good one stays in force", "diagnostics", diagLines(diags))
			// Not retried until the files change again.
			w.mu.Lock()
			w.sess.stamp = configStamp(w.m.dir)
			w.mu.Unlock()
			continue
		}
		w.metrics.reloads.WithLabelValues("ok").Inc()
		w.log.Info("configuration reloaded")
		w.failMu.Lock()
		w.triggers[watch.All] = "reload"
		w.failMu.Unlock()
		w.queue.Add(watch.All)
	}
}

// configStamp sums up the configuration's files (*.hcl, *.ofvars): names,
// sizes and modification times. A change of any is a reload.
func configStamp(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	var b strings.Builder
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".hcl" && ext != ".ofvars") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "%s %d %d\n", e.Name(), info.Size(), info.ModTime().UnixNano())
	}
	return b.String()
}

// routes are the endpoint's: the Market's notifications, /healthz and
// /metrics.
func (w *watcher) routes(allow []netip.Prefix) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /notification", &watch.Endpoint{Name: "orderform", Version: strings.TrimPrefix(Version, "v"), AllowFrom: allow, Notify: w.notified})
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		if !w.readsOK.Load() {
			http.Error(rw, "the last reconcile could not read the orders", http.StatusServiceUnavailable)
			return
		}
		_, _ = fmt.Fprintln(rw, "ok")
	})
	mux.Handle("GET /metrics", w.metrics.handler())
	return mux
}

// notified queues a reconcile of the order a notification names, if the
// configuration declares it; others are answered and ignored.
func (w *watcher) notified(n notification.Notification) {
	if !n.IsOrder() {
		w.metrics.notifications.WithLabelValues(typeLabel(n), "ignored").Inc()
		w.log.Info("notification ignored", "type", n.Type, "reason", "not about an order")
		return
	}
	s := w.cur.Load()
	declared := s != nil && s.isDeclared(n.OrderID)
	if !declared {
		w.metrics.notifications.WithLabelValues(typeLabel(n), "ignored").Inc()
		w.log.Info("notification ignored", "type", n.Type, "order_id", n.OrderID, "campaign_id", n.CampaignID, "reason", "order not declared")
		return
	}
	queued := w.queue.Add(watch.Key{OrderID: n.OrderID})
	w.metrics.notifications.WithLabelValues(typeLabel(n), "queued").Inc()
	w.log.Info("notification", "type", n.Type, "order_id", n.OrderID, "campaign_id", n.CampaignID, "coalesced", !queued)
}

// typeLabel is n's type as a metric's label: the known types by name, the
// others as "other" (anyone can post to the endpoint; a label per made-up
// type would grow the metrics without bound).
func typeLabel(n notification.Notification) string {
	if n.Known() {
		return string(n.Type)
	}
	return "other"
}

// reconcile is one reconcile of k: plan (no lock), report the drift, and,
// unless -observe, write what differs under the locks of the campaigns
// written to and only while writing.
func (w *watcher) reconcile(ctx context.Context, k watch.Key) {
	if ctx.Err() != nil {
		return
	}
	trigger := "notification"
	if k == watch.All {
		trigger = "interval"
		if !w.started.Swap(true) {
			trigger = "start"
		}
	}
	w.failMu.Lock()
	if t, ok := w.triggers[k]; ok {
		trigger = t
		delete(w.triggers, k)
	}
	w.failMu.Unlock()
	began := time.Now()
	w.mu.RLock()
	defer w.mu.RUnlock()
	s := w.sess
	if s == nil {
		return
	}
	log := w.log.With("trigger", trigger)
	if k != watch.All {
		log = log.With("order_id", k.OrderID)
	}
	var keep func(schema.Order) bool
	if k != watch.All {
		keep = func(o schema.Order) bool { return o.ID == k.OrderID }
	}
	p := &planned{cfg: s.cfg, backend: s.backend, conn: s.conn}
	diags := w.m.planOrders(ctx, p, w.args.Operation, keep, nil)
	if p.plan == nil {
		w.readsOK.Store(false)
		w.metrics.reconciles.WithLabelValues(trigger, "error").Inc()
		log.Error("reconcile failed", "diagnostics", diagLines(diags), "retry_in", w.retry(ctx, k).String())
		return
	}
	w.readsOK.Store(true)
	if k == watch.All {
		s.setDeclared(p.desired)
	}
	w.observe(log, p.plan)
	if w.args.Observe || (p.plan.Converges() && len(p.plan.Changes) == 0) {
		w.succeeded(k)
		w.done(log, trigger, "ok", began, p.plan, apply.Report{})
		return
	}
	rep, err := w.write(ctx, log, s, p.plan, keep)
	if err != nil {
		w.metrics.reconciles.WithLabelValues(trigger, "error").Inc()
		log.Error("write failed", "error", err.Error(), "retry_in", w.retry(ctx, k).String())
		return
	}
	w.succeeded(k)
	result := "ok"
	if !rep.OK() {
		result = "error"
	}
	w.done(log, trigger, result, began, p.plan, rep)
}

// retry queues k again after a backoff that grows with its failures in a
// row (a lock another run holds, an API that does not answer), as Argo
// CD retries a failed sync; it returns the wait.
func (w *watcher) retry(ctx context.Context, k watch.Key) time.Duration {
	w.failMu.Lock()
	w.failures[k]++
	d := watch.Backoff(w.failures[k], min(w.args.Interval, 5*time.Minute))
	w.triggers[k] = "retry"
	w.failMu.Unlock()
	if ctx.Err() == nil {
		w.queue.AddAfter(k, d)
	}
	return d
}

// succeeded ends k's run of failures.
func (w *watcher) succeeded(k watch.Key) {
	w.failMu.Lock()
	delete(w.failures, k)
	w.failMu.Unlock()
}

// observe reports what a plan would change (the drift) and what waits,
// one line per order.
func (w *watcher) observe(log *slog.Logger, p *plan.Plan) {
	for i := range p.Changes {
		c := &p.Changes[i]
		fields := make([]any, 0, len(c.Fields))
		for _, f := range c.Fields {
			fields = append(fields, map[string]any{"path": f.Path,
				"before": views.LogValue(c, f.Path, f.Before, w.args.ShowSensitive),
				"after":  views.LogValue(c, f.Path, f.After, w.args.ShowSensitive)})
		}
		w.metrics.drift.Inc()
		log.Info("drift", "address", c.Address, "order_id", c.OrderID, "campaign_id", c.CampaignID, "status", c.Status, "fields", fields)
	}
	for _, d := range p.Deferred {
		log.Info("deferred", "address", d.Address, "order_id", d.OrderID, "blocks", d.Blocks, "waits_for", d.WaitsFor, "status", d.Status)
	}
	for _, b := range p.Blocked {
		log.Warn("blocked", "address", b.Address, "order_id", b.OrderID, "field", b.Field, "reason", string(b.Reason), "detail", b.Detail)
	}
	for _, pd := range p.Pending {
		log.Info("pending", "address", pd.Address, "order_id", pd.OrderID, "fields", pd.Fields, "unknown", pd.Unknown)
	}
}

// done logs the end of a reconcile and counts it.
func (w *watcher) done(log *slog.Logger, trigger, result string, began time.Time, p *plan.Plan, rep apply.Report) {
	s := p.Summary()
	w.metrics.reconciles.WithLabelValues(trigger, result).Inc()
	w.metrics.blocked.Set(float64(s.Blocked))
	w.metrics.pending.Set(float64(s.Pending + s.Unknown))
	w.metrics.deferred.Set(float64(s.Deferred))
	for _, r := range rep.Results {
		w.metrics.changes.WithLabelValues(string(r.Outcome)).Inc()
	}
	if result == "ok" {
		w.metrics.lastSuccess.SetToCurrentTime()
	}
	log.Info("reconciled", "result", result, "changes", s.Change, "pending", s.Pending+s.Unknown, "deferred", s.Deferred, "blocked", s.Blocked,
		"unchanged", s.Unchanged, "applied", len(rep.Results), "observe", w.args.Observe, "took", time.Since(began).Round(time.Millisecond).String())
}

// write applies what p changes as apply -auto-approve would: it takes the
// locks of the campaigns p writes to, plans those orders again under them
// (another run may have written since), settles the journal and writes.
// The locks are given back before it returns.
func (w *watcher) write(ctx context.Context, log *slog.Logger, s *session, p *plan.Plan, keep func(schema.Order) bool) (apply.Report, error) {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	touched := map[int64]bool{}
	for _, c := range p.Changes {
		touched[c.OrderID] = true
	}
	for _, pd := range p.Pending {
		if pd.Unknown {
			touched[pd.OrderID] = true
		}
	}
	op := &applyOperation{m: w.m, holder: w.holder, backend: s.backend, conn: s.conn,
		args: &arguments.Apply{Operation: w.args.Operation, AutoApprove: true, Wait: watchWait,
			PollInterval: 2 * time.Second, LockTimeout: w.args.LockTimeout}}
	defer func() {
		if op.locks != nil {
			_ = op.locks.Release()
		}
	}()
	again := &planned{cfg: s.cfg, backend: s.backend, conn: s.conn}
	diags := w.m.planOrders(ctx, again, w.args.Operation, func(o schema.Order) bool {
		return touched[o.ID] && (keep == nil || keep(o))
	}, func(pl *planned) error {
		campaigns := make([]int64, 0, len(pl.desired))
		for _, o := range pl.desired {
			campaigns = append(campaigns, o.CampaignID)
		}
		return op.lock(ctx, pl.backend, pl.conn.endpoint, campaigns)
	})
	if again.plan == nil {
		return apply.Report{}, errors.New(strings.Join(diagLines(diags), "; "))
	}
	inFlight, err := op.settle(ctx, again.verdicts)
	if err != nil {
		return apply.Report{}, err
	}
	if again.plan.Converges() && len(again.plan.Changes) == 0 {
		return apply.Report{}, nil
	}
	return apply.Run(ctx, again.plan, s.conn.client, again.reader, op.applyOptions(again.reader, inFlight, func(e apply.Event) {
		switch e.Type {
		case apply.ChangeStarted, apply.Waiting:
			return
		}
		attrs := []any{"address", e.Address, "order_id", e.OrderID, "call", e.Call}
		for _, kv := range [][2]string{{"code", e.Code}, {"detail", e.Detail}} {
			if kv[1] != "" {
				attrs = append(attrs, kv[0], kv[1])
			}
		}
		if len(e.Operations) > 0 {
			attrs = append(attrs, "operations", e.Operations)
		}
		level := slog.LevelInfo
		if e.Type == apply.ChangeFailed || e.Type == apply.ChangeUnknown {
			level = slog.LevelWarn
		}
		log.Log(context.Background(), level, string(e.Type), attrs...)
	}))
}

// diagLines are diagnostics as single lines for the log.
func diagLines(diags hcl.Diagnostics) []string {
	out := make([]string, 0, len(diags))
	for _, d := range diags {
		out = append(out, diagLine(d))
	}
	return slices.Compact(out)
}

func diagLine(d *hcl.Diagnostic) string {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "warning"
	}
	s := sev + ": " + d.Summary
	if d.Detail != "" {
		s += ": " + d.Detail
	}
	if d.Subject != nil {
		s = fmt.Sprintf("%s:%d: %s", d.Subject.Filename, d.Subject.Start.Line, s)
	}
	return s
}
