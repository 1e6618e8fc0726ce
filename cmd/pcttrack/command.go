package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// subcommand completes c, a subcommand whose flags live in a struct F:
// bind registers them on a fresh F, the flags named in required must be
// given, and RunE calls run with the parsed F.
func subcommand[F any](c *cobra.Command, bind func(*F, *pflag.FlagSet), run func(*cobra.Command, []string, *F) error, required ...string) *cobra.Command {
	f := new(F)
	bind(f, c.Flags())
	for _, name := range required {
		if err := c.MarkFlagRequired(name); err != nil {
			panic(err) // a flag the command does not define: a programming error
		}
	}
	c.RunE = func(cmd *cobra.Command, args []string) error { return run(cmd, args, f) }
	return c
}

// printWrote prints the files a command wrote, on one line.
func printWrote(w io.Writer, files []string) error {
	_, err := fmt.Fprintf(w, "wrote %s\n", strings.Join(files, ", "))
	return err
}
