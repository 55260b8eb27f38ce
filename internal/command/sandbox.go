package command

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/orderform/orderform/internal/arguments"
	"github.com/orderform/orderform/internal/endpoint"
	"github.com/orderform/orderform/provider/sandbox"
)

// runSandbox serves the Market API emulator until interrupted.
func runSandbox(ctx context.Context, m *meta, args []string) int {
	a, diags := arguments.ParseSandbox(args)
	opt := m.viewOptions(false, false, m.Stderr)
	if diags.HasErrors() {
		return m.commandLineError("sandbox", diags, opt)
	}
	accepted := firstNonEmpty(a.Key, os.Getenv("YANDEX_MARKET_API_KEY"), "sandbox")
	host, _, err := net.SplitHostPort(a.Listen)
	if err != nil {
		m.errorf(opt, "-listen=%s: %v", a.Listen, err)
		return exitError
	}
	if !endpoint.IsLoopback(host) {
		if !a.AllowRemote {
			m.errorf(opt, "-listen=%s is not a loopback address: the emulator serves only this machine unless -allow-remote is given", a.Listen)
			return exitError
		}
		if a.Key == "" {
			m.errorf(opt, "-allow-remote needs an explicit -key: a reachable emulator must not accept a default key")
			return exitError
		}
	}
	st, err := sandbox.LoadState(a.Data)
	if err != nil {
		m.errorf(opt, "%v", err)
		return exitError
	}
	srv := sandbox.New(st, sandbox.Options{APIKeys: []string{accepted}, UpdateDelay: a.UpdateDelay,
		NotifyURL: a.Notify, NotifyCopies: a.NotifyCopies, NotifyRetry: a.NotifyRetry})
	defer srv.Close()
	ln, err := net.Listen("tcp", a.Listen)
	if err != nil {
		m.errorf(opt, "%v", err)
		return exitError
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(m.Stderr, "orderform sandbox: serving the Market API emulator on http://%s (seed %s)\n", ln.Addr(), a.Data)
	fmt.Fprintf(m.Stderr, "  export YANDEX_MARKET_ENDPOINT=http://%s\n", ln.Addr())
	if a.Key == "" && os.Getenv("YANDEX_MARKET_API_KEY") == "" {
		fmt.Fprintf(m.Stderr, "  export YANDEX_MARKET_API_KEY=sandbox\n")
	}
	if a.Notify != "" {
		fmt.Fprintf(m.Stderr, "  notifications go to %s/notification\n", strings.TrimSuffix(a.Notify, "/"))
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			m.errorf(opt, "%v", err)
			return exitError
		}
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = hs.Shutdown(sctx)
		cancel()
	}
	_ = srv.Close() // no timeline event plays after the state is saved
	if a.Save != "" {
		if err := srv.Save(a.Save); err != nil {
			m.errorf(opt, "%v", err)
			return exitError
		}
		fmt.Fprintf(m.Stderr, "orderform sandbox: state saved to %s\n", a.Save)
	}
	return exitOK
}
