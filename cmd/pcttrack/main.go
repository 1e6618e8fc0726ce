// Command pcttrack simulates, imports, tracks and trains on readout frames
// of the Bergen proton-CT digital tracking calorimeter. Each subcommand
// lives in its own file and only wires library packages together.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"
)

var (
	cpuProfile string
	logLevel   string
)

var rootCmd = &cobra.Command{
	Use:           "pcttrack",
	Short:         "End-to-end differentiable proton tracking for the Bergen pCT detector",
	SilenceUsage:  true,
	SilenceErrors: true,
	PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
		var lvl slog.Level
		if err := lvl.UnmarshalText([]byte(logLevel)); err != nil {
			return fmt.Errorf("--log-level: %w", err)
		}
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})))
		return nil
	},
}

func init() {
	rootCmd.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) to this file")
	rootCmd.PersistentFlags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
}

func main() {
	os.Exit(run())
}

func run() (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "pcttrack: internal error: %v\n", r)
			if os.Getenv("PCTTRACK_DEBUG") != "" {
				os.Stderr.Write(debug.Stack())
			}
			code = 2
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if p := profileFlag(os.Args[1:]); p != "" {
		f, err := os.Create(p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "pcttrack: --cpuprofile: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "pcttrack: --cpuprofile: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if err := rootCmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "pcttrack: %v\n", err)
		return 1
	}
	return 0
}

// profileFlag finds --cpuprofile before cobra parses the command line, so
// that profiling covers the whole run.
func profileFlag(args []string) string {
	for i, a := range args {
		switch {
		case a == "--":
			return ""
		case a == "--cpuprofile" && i+1 < len(args):
			return args[i+1]
		case len(a) > len("--cpuprofile=") && a[:len("--cpuprofile=")] == "--cpuprofile=":
			return a[len("--cpuprofile="):]
		}
	}
	return ""
}
