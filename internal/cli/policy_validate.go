package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"gatehouse/internal/analyzer"
	"gatehouse/internal/policy"
)

func init() {
	policyCommands["validate"] = command{
		summary: "check policy documents: IAM's errors, security warnings, warnings, suggestions",
		run:     runPolicyValidate,
	}
}

// runPolicyValidate implements `gatehouse policy validate [--type KIND] [--format text|json]
// FILE…` (DESIGN.md, "Policy tool"). It prints every finding of every file and exits 1
// when any document has an ERROR (one IAM would reject as MalformedPolicyDocument), 0
// otherwise, and 2 for a usage mistake or a file it cannot read. FILE "-" is stdin.
func runPolicyValidate(_ context.Context, args []string, std IO) int {
	fs := newFlagSet("policy validate", std)
	kindName := fs.String("type", "identity", "what the documents are: identity, resource, trust, scp or rcp")
	format := fs.String("format", "text", "output: text (one line per finding) or json (one JSON object per line)")
	fs.Usage = func() {
		fmt.Fprintln(std.Stderr, "usage: gatehouse policy validate [--type identity|resource|trust|scp|rcp] [--format text|json] FILE…")
		fmt.Fprintln(std.Stderr, "  exits 1 when a document has an ERROR (IAM would reject it), else 0")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	kind, ok := policy.ParseKind(*kindName)
	if !ok {
		fmt.Fprintf(std.Stderr, "gatehouse policy validate: --type %q: want identity, resource, trust, scp or rcp\n", *kindName)
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(std.Stderr, "gatehouse policy validate: --format %q: want text or json\n", *format)
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	code := 0
	for _, name := range fs.Args() {
		data, err := readInput(name, std)
		if err != nil {
			fmt.Fprintf(std.Stderr, "gatehouse policy validate: %v\n", err)
			return 2
		}
		findings := analyzer.Analyze(data, kind)
		if err := writeFindings(std.Stdout, name, findings, *format); err != nil {
			fmt.Fprintf(std.Stderr, "gatehouse policy validate: %v\n", err)
			return 2
		}
		if analyzer.HasError(findings) {
			code = 1
		}
	}
	return code
}

// writeFindings prints one file's findings. Text: "FILE: SEVERITY PATH: message [CODE]"
// (without PATH for a finding about the whole document). JSON: one object per finding,
// the analyzer's fields plus "file".
func writeFindings(w io.Writer, name string, findings []analyzer.Finding, format string) error {
	for _, f := range findings {
		var err error
		if format == "json" {
			var b []byte
			b, err = json.Marshal(struct {
				File string `json:"file"`
				analyzer.Finding
			}{name, f})
			if err == nil {
				_, err = fmt.Fprintf(w, "%s\n", b)
			}
		} else if f.Path == "" {
			_, err = fmt.Fprintf(w, "%s: %s %s [%s]\n", name, f.Severity, f.Message, f.Code)
		} else {
			_, err = fmt.Fprintf(w, "%s: %s %s: %s [%s]\n", name, f.Severity, f.Path, f.Message, f.Code)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
