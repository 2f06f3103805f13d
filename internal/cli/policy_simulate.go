package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"gatehouse/internal/simulate"
)

func init() {
	policyCommands["simulate"] = command{
		summary: "decide one request (FILE) or one per line (--cases FILE.jsonl) and print the decision as JSON",
		run:     runPolicySimulate,
	}
}

// runPolicySimulate implements `gatehouse policy simulate FILE` and
// `gatehouse policy simulate --cases FILE.jsonl` (DESIGN.md, "Policy tool"; the contract
// is internal/simulate's and docs/policy-simulate.md describes it). FILE "-" is stdin.
func runPolicySimulate(_ context.Context, args []string, std IO) int {
	fs := newFlagSet("policy simulate", std)
	cases := fs.String("cases", "", "a JSON Lines file: one input per line, one result per line")
	fs.Usage = func() {
		fmt.Fprintln(std.Stderr, "usage: gatehouse policy simulate FILE | --cases FILE.jsonl")
		fmt.Fprintln(std.Stderr, "  prints {\"decision\", \"matchedStatements\", \"deniedBy\", \"message\"} (see docs/policy-simulate.md)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cases != "" {
		if fs.NArg() != 0 {
			fs.Usage()
			return 2
		}
		return simulateCases(*cases, std)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	data, err := readInput(fs.Arg(0), std)
	if err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse policy simulate: %v\n", err)
		return 1
	}
	out, err := simulateOne(data)
	if err != nil {
		fmt.Fprintf(std.Stderr, "gatehouse policy simulate: %v\n", err)
		return 1
	}
	std.Stdout.Write(out)
	return 0
}

func readInput(name string, std IO) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(std.Stdin)
	}
	return os.ReadFile(name)
}

// simulateOne decodes, decides and encodes one input as one line.
func simulateOne(data []byte) ([]byte, error) {
	in, err := simulate.Decode(data)
	if err != nil {
		return nil, err
	}
	out, err := simulate.Run(in)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func simulateCases(name string, std IO) int {
	var r io.Reader
	if name == "-" {
		r = std.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(std.Stderr, "gatehouse policy simulate: %v\n", err)
			return 1
		}
		defer f.Close()
		r = f
	}
	w := bufio.NewWriter(std.Stdout)
	defer w.Flush()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	code := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		out, err := simulateOne(line)
		if err != nil {
			code = 1
			b, _ := json.Marshal(struct {
				Error string `json:"error"`
			}{err.Error()})
			out = append(b, '\n')
		}
		w.Write(out)
	}
	if err := sc.Err(); err != nil {
		w.Flush()
		fmt.Fprintf(std.Stderr, "gatehouse policy simulate: %s: %v\n", name, err)
		return 1
	}
	return code
}
