package command

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/orderform/orderform/internal/endpoint"
	"github.com/orderform/orderform/provider/sandbox"
)

// runSandbox serves the Market API emulator until interrupted.
func runSandbox(ctx context.Context, m *meta, args []string) int {
	fs := m.newFlagSet("sandbox", "")
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve on (loopback unless -allow-remote)")
	data := fs.String("data", "", "seed file with campaigns and orders, e.g. testdata/sandbox-small.json")
	save := fs.String("save", "", "write the state to FILE when stopped")
	key := fs.String("key", "", "the API key the emulator accepts (default $YANDEX_MARKET_API_KEY, else \"sandbox\")")
	delay := fs.Duration("update-delay", 30*time.Second, "how long orders/update operations stay IN_PROGRESS")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback -listen address (needs an explicit -key)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	opt := m.viewOptions(false, false, m.Stderr)
	if *data == "" {
		m.errorf(opt, "sandbox needs a seed: -data=FILE (the repository has testdata/sandbox-small.json)")
		return exitError
	}
	accepted := firstNonEmpty(*key, os.Getenv("YANDEX_MARKET_API_KEY"), "sandbox")
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		m.errorf(opt, "-listen=%s: %v", *listen, err)
		return exitError
	}
	if !endpoint.IsLoopback(host) {
		if !*allowRemote {
			m.errorf(opt, "-listen=%s is not a loopback address: the emulator serves only this machine unless -allow-remote is given", *listen)
			return exitError
		}
		if *key == "" {
			m.errorf(opt, "-allow-remote needs an explicit -key: a reachable emulator must not accept a default key")
			return exitError
		}
	}
	st, err := sandbox.LoadState(*data)
	if err != nil {
		m.errorf(opt, "%v", err)
		return exitError
	}
	srv := sandbox.New(st, sandbox.Options{APIKeys: []string{accepted}, UpdateDelay: *delay})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		m.errorf(opt, "%v", err)
		return exitError
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(m.Stderr, "orderform sandbox: serving the Market API emulator on http://%s (seed %s)\n", ln.Addr(), *data)
	fmt.Fprintf(m.Stderr, "  export YANDEX_MARKET_ENDPOINT=http://%s\n", ln.Addr())
	if *key == "" && os.Getenv("YANDEX_MARKET_API_KEY") == "" {
		fmt.Fprintf(m.Stderr, "  export YANDEX_MARKET_API_KEY=sandbox\n")
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
	if *save != "" {
		if err := srv.Save(*save); err != nil {
			m.errorf(opt, "%v", err)
			return exitError
		}
		fmt.Fprintf(m.Stderr, "orderform sandbox: state saved to %s\n", *save)
	}
	return exitOK
}
