package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"gatehouse/internal/server"
)

func init() { register("serve", "run the AWS API endpoint (IAM, STS, EC2, S3)", runServe) }

type serveFlags struct {
	data, listen, console, store, accountID, region, mode, enforce string
}

func runServe(ctx context.Context, args []string, std IO) int {
	var f serveFlags
	fs := newFlagSet("serve", std)
	fs.StringVar(&f.data, "data", "./gatehouse-data", "state directory: SQLite database, master key, root credentials")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:7474", "the AWS API endpoint: IAM, STS, EC2 and S3 on one port")
	fs.StringVar(&f.console, "console", "127.0.0.1:7475", "the web console")
	fs.StringVar(&f.store, "store", "", "postgres://… to keep state in PostgreSQL (default: SQLite in --data)")
	fs.StringVar(&f.accountID, "account-id", "", "the first account's ID, on first start only (default: random; emulator: 123456789012)")
	fs.StringVar(&f.region, "region", "us-east-1", "the region the endpoint serves")
	fs.StringVar(&f.mode, "mode", "production", "production or emulator")
	fs.StringVar(&f.enforce, "enforce", "strict", "emulator mode only: off, soft or strict")
	if err := parseWithEnv(fs, args, osGetenv); err != nil {
		return 2
	}
	if f.mode != "production" && f.mode != "emulator" {
		fmt.Fprintf(std.Stderr, "gatehouse serve: --mode must be production or emulator, not %q\n", f.mode)
		return 2
	}
	if _, err := server.ParseEnforce(f.enforce); err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse serve: --enforce: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(std.Stderr, &slog.HandlerOptions{Level: logLevel(osGetenv("GATEHOUSE_LOG_LEVEL"))}))
	st, err := openState(ctx, f, logger)
	if err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse serve: %v\n", err)
		return 1
	}
	defer st.close()
	srv := st.server
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse serve: %v\n", err)
		return 1
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	if err := writeEndpointInfo(st.dir, endpointInfo{Listen: ln.Addr().String(), Console: f.console,
		Region: f.region, Account: st.account, Mode: f.mode}); err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse serve: %v\n", err)
		return 1
	}
	if st.createdRoot {
		printFirstStart(std, st, ln.Addr().String(), f.region)
	}
	logger.Info("listening", "addr", ln.Addr().String(), "mode", f.mode, "region", f.region, "account", st.account)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintf(std.Stderr, "gatehouse serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	// SIGTERM: stop accepting, let in-flight requests finish.
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("shutdown", "err", err)
		return 1
	}
	logger.Info("stopped")
	return 0
}
