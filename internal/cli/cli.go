// Package cli owns gatehouse's subcommands: it parses flags and environment, wires the
// packages below together and runs them. It holds no behaviour of its own.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// IO is what a subcommand may read from and write to; tests pass buffers.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// command is one subcommand. run returns the process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, io IO) int
}

// commands is the registry of subcommands; each file of this package adds its own in init.
var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, args []string, io IO) int) {
	if _, dup := commands[name]; dup {
		panic("cli: duplicate command " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

// Main runs the subcommand named by args[0] and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	std := IO{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "gatehouse: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(ctx, args[1:], std)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gatehouse <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}

// newFlagSet returns a flag set that reports errors to the command's stderr instead of exiting.
func newFlagSet(name string, std IO) *flag.FlagSet {
	fs := flag.NewFlagSet("gatehouse "+name, flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	return fs
}

// parseWithEnv parses args, after first taking each flag's default from GATEHOUSE_<FLAG>
// (upper snake case), as DESIGN.md's interface contract specifies. A flag given on the
// command line wins over the environment.
func parseWithEnv(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil {
			return
		}
		name := "GATEHOUSE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s: %w", name, e)
			}
		}
	})
	if err != nil {
		fmt.Fprintln(fs.Output(), err)
		return err
	}
	return fs.Parse(args)
}

var osGetenv = os.Getenv
