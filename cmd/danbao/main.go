// Command danbao stress-tests a government financing-guarantee system: it
// imports and generates portfolio snapshots, runs the correlated-default
// Monte Carlo engine, answers policy and capital questions, and serves all
// of it over HTTP. Each subcommand lives in its own file and registers
// itself with rootCmd in an init function.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:           "danbao",
	Short:         "Monte Carlo stress tests of Wenzhou's government financing-guarantee system",
	SilenceUsage:  true,
	SilenceErrors: true,
}

// exitError carries an exit status other than 1 (the default for errors).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	// The Go runtime's soft memory limit (debug.SetMemoryLimit) is
	// --max-memory's default (half the machine's memory) plus a quarter,
	// for every command; GOMEMLIMIT, when set, overrides it, and serve
	// sets it again from its own --max-memory. See setMemoryLimit.
	setMemoryLimit(defaultMaxMemoryMiB() << 20)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "danbao:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			stop()
			os.Exit(ee.code)
		}
		stop()
		os.Exit(1)
	}
}
