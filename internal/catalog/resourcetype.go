package catalog

import (
	"fmt"
	"strings"
	"sync"
)

// ResourceType is a kind of resource a service's actions act on, with the ARN format its
// resources have.
type ResourceType struct {
	Service *Service
	Name    string // "object"
	// ARNFormat is the format from AWS's reference, variables in ${…}:
	// "arn:${Partition}:s3:::${BucketName}/${ObjectName}".
	ARNFormat string
	// ConditionKeys are the keys that describe a resource of this type
	// ("aws:ResourceTag/${TagKey}", "s3:BucketTag/${TagKey}").
	ConditionKeys []string

	compileOnce sync.Once
	format      []globElem
}

// Variables returns the names of the format's variables in order: Partition, BucketName, ObjectName.
func (r *ResourceType) Variables() []string {
	var out []string
	rest := r.ARNFormat
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			return out
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, rest[i+2:i+j])
		rest = rest[i+j+1:]
	}
}

// Fill builds a resource ARN from the format, taking each variable's value from vars
// (Fill(map[string]string{"Partition": "aws", "BucketName": "b", "ObjectName": "k"}) is
// "arn:aws:s3:::b/k"). It fails when a variable has no value, so that no ARN is ever built
// with a hole in it.
func (r *ResourceType) Fill(vars map[string]string) (string, error) {
	var b strings.Builder
	rest := r.ARNFormat
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		name := rest[i+2 : i+j]
		v, ok := vars[name]
		if !ok || v == "" {
			return "", fmt.Errorf("catalog: %s:%s ARN needs a value for ${%s}", r.Service.Prefix, r.Name, name)
		}
		b.WriteString(rest[:i])
		b.WriteString(v)
		rest = rest[i+j+1:]
	}
}

// Matches reports whether some ARN of this resource type matches the policy resource
// pattern, in which * matches any run of characters and ? any one character, as in a
// policy's Resource element (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
// A policy variable (${aws:username}) may stand for anything, so it is read as *; the
// escapes ${*}, ${?} and ${$} stand for the characters themselves.
//
// In the format, a variable stands for at least one character; in the partition, service,
// region and account fields it cannot contain a colon. So "arn:aws:s3:::my_bucket" matches
// the bucket type but not the object type, whose ARNs all have a "/" and an object name
// after the bucket name, while "arn:aws:s3:::my_bucket/*" and "*" match the object type.
func (r *ResourceType) Matches(pattern string) bool {
	return r.MatchesPattern(CompileARNPattern(pattern))
}

// ARNPattern is a policy resource pattern compiled for MatchesPattern, for callers that
// test one pattern against many resource types.
type ARNPattern struct {
	elems []globElem
}

// CompileARNPattern compiles a policy resource pattern as Matches reads it.
func CompileARNPattern(pattern string) ARNPattern { return ARNPattern{compilePattern(pattern)} }

// MatchesPattern is Matches with the pattern compiled already.
func (r *ResourceType) MatchesPattern(p ARNPattern) bool {
	r.compileOnce.Do(func() { r.format = compileFormat(r.ARNFormat) })
	return intersects(p.elems, r.format)
}

// globElem is one element of a glob: a literal byte, or one character (one) or a run of
// characters (star) of a class.
type globElem struct {
	kind  elemKind
	class charClass
	lit   byte
}

type elemKind uint8

const (
	elemLit elemKind = iota
	elemOne
	elemStar
)

type charClass uint8

const (
	classAny      charClass = iota
	classNotColon           // a variable within the first five fields of an ARN
)

func compileFormat(format string) []globElem {
	var out []globElem
	colons := 0
	for i := 0; i < len(format); i++ {
		if strings.HasPrefix(format[i:], "${") {
			if j := strings.IndexByte(format[i:], '}'); j > 0 {
				class := classAny
				if colons < 5 {
					class = classNotColon
				}
				out = append(out, globElem{kind: elemOne, class: class}, globElem{kind: elemStar, class: class})
				i += j
				continue
			}
		}
		if format[i] == ':' {
			colons++
		}
		out = append(out, globElem{kind: elemLit, lit: format[i]})
	}
	return out
}

func compilePattern(pattern string) []globElem {
	out := make([]globElem, 0, len(pattern))
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c == '$' && strings.HasPrefix(pattern[i:], "${") {
			if j := strings.IndexByte(pattern[i:], '}'); j > 0 {
				switch pattern[i : i+j+1] {
				case "${*}", "${?}", "${$}":
					out = append(out, globElem{kind: elemLit, lit: pattern[i+2]})
				default:
					out = append(out, globElem{kind: elemStar, class: classAny})
				}
				i += j
				continue
			}
		}
		switch c {
		case '*':
			out = append(out, globElem{kind: elemStar, class: classAny})
		case '?':
			out = append(out, globElem{kind: elemOne, class: classAny})
		default:
			out = append(out, globElem{kind: elemLit, lit: c})
		}
	}
	return out
}

// compatible reports whether one character exists that both elements accept.
func compatible(a, b globElem) bool {
	switch {
	case a.kind == elemLit && b.kind == elemLit:
		return a.lit == b.lit
	case a.kind == elemLit:
		return b.class == classAny || a.lit != ':'
	case b.kind == elemLit:
		return a.class == classAny || b.lit != ':'
	}
	return true
}

// intersects reports whether some string matches both globs: a search over pairs of
// positions (the product of the two automata), consuming one character common to both
// elements at each step, with a star also free to match nothing.
func intersects(a, b []globElem) bool {
	w := len(b) + 1
	// ARNs are short: the tables usually fit on the stack.
	var seenBuf [4096]bool
	var stackBuf [256]int
	n := (len(a) + 1) * w
	seen := seenBuf[:0]
	if n <= len(seenBuf) {
		seen = seenBuf[:n]
	} else {
		seen = make([]bool, n)
	}
	stack := append(stackBuf[:0], 0)
	seen[0] = true
	push := func(i, j int) {
		if k := i*w + j; !seen[k] {
			seen[k] = true
			stack = append(stack, k)
		}
	}
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i, j := k/w, k%w
		if i == len(a) && j == len(b) {
			return true
		}
		if i < len(a) && a[i].kind == elemStar {
			push(i+1, j)
		}
		if j < len(b) && b[j].kind == elemStar {
			push(i, j+1)
		}
		if i < len(a) && j < len(b) && compatible(a[i], b[j]) {
			ni, nj := i+1, j+1
			if a[i].kind == elemStar {
				ni = i
			}
			if b[j].kind == elemStar {
				nj = j
			}
			push(ni, nj)
		}
	}
	return false
}
