package cli

import (
	"context"
	"fmt"
	"sort"
)

func init() {
	register("policy", "validate, simulate or generate policies (policy validate|simulate|generate)", runPolicy)
}

// policyCommands holds `gatehouse policy <sub>`; policy_validate.go and policy_simulate.go add theirs.
var policyCommands = map[string]command{}

func runPolicy(ctx context.Context, args []string, std IO) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(std.Stderr, "usage: gatehouse policy <validate|simulate|generate> [flags] …")
		names := make([]string, 0, len(policyCommands))
		for n := range policyCommands {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(std.Stderr, "  %-10s %s\n", n, policyCommands[n].summary)
		}
		return 2
	}
	c, ok := policyCommands[args[0]]
	if !ok {
		fmt.Fprintf(std.Stderr, "gatehouse policy: unknown subcommand %q\n", args[0])
		return 2
	}
	return c.run(ctx, args[1:], std)
}
