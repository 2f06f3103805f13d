// Command gatehouse is a self-hosted, AWS-compatible IAM, STS and instance-credentials service.
// All behaviour lives in internal/cli and below; main only hands over the arguments.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"gatehouse/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
