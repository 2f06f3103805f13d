package reference

import (
	"regexp"
	"strings"
)

// segment is one piece of a policy string after variable substitution: literal text, "*" or "?".
type segment struct {
	wild rune // 0 for literal text, '*' or '?'
	text string
}

// expand turns a policy string into segments. With vars (Version 2012-10-17) every ${...} is replaced:
// ${*}, ${?} and ${$} are the literal characters (reference_policies_elements_resource.html: "to match a
// literal asterisk use ${*}"), ${key} is the value of a context key and ${key, 'default'} falls back to
// the default when the key is absent (reference_policies_variables.html#policy-vars-default-values).
// A substituted value is literal text: its own * and ? are not wildcards. With wild, a bare * or ? is a
// wildcard. ok is false when a variable names a key the request does not carry and has no default: "If
// AWS cannot resolve a variable, this might cause the entire statement to be invalid"
// (reference_policies_variables.html).
func (r *Request) expand(s string, vars, wild bool) (segs []segment, ok bool) {
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		if vars && strings.HasPrefix(s[i:], "${") {
			end := strings.IndexByte(s[i:], '}')
			if end > 0 {
				val, resolved := r.resolve(s[i+2 : i+end])
				if !resolved {
					return nil, false
				}
				lit.WriteString(val)
				i += end + 1
				continue
			}
		}
		c := s[i]
		if wild && (c == '*' || c == '?') {
			flush()
			segs = append(segs, segment{wild: rune(c)})
			i++
			continue
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	return segs, true
}

// resolve gives the value of one variable body (the text between "${" and "}").
func (r *Request) resolve(body string) (string, bool) {
	switch body {
	case "*", "?", "$":
		return body, true
	}
	key, def, hasDefault := strings.Cut(body, ",")
	key = strings.TrimSpace(key)
	if hasDefault {
		def = strings.TrimSpace(def)
		if len(def) >= 2 && def[0] == '\'' && def[len(def)-1] == '\'' {
			def = def[1 : len(def)-1]
		} else {
			hasDefault = false // a malformed default is no default
		}
	}
	vals, present := r.lookup(key)
	// A variable stands for one value: a multivalued key cannot be substituted, even with one value.
	if present && len(vals) == 1 && !r.multi[strings.ToLower(key)] {
		return vals[0], true
	}
	if !present && hasDefault {
		return def, true
	}
	return "", false
}

// hasUnresolved reports a variable in s that cannot be resolved.
func (r *Request) hasUnresolved(s string) bool {
	_, ok := r.expand(s, true, false)
	return !ok
}

// regexpOf compiles segments into an anchored regexp. "*" matches any run of characters, including "/" and
// ":", and "?" any one character (reference_policies_elements_resource.html, "Including wildcard
// characters in the resource ARN").
func regexpOf(segs []segment, foldCase bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^(?s)`)
	if foldCase {
		b.WriteString(`(?i)`)
	}
	for _, sg := range segs {
		switch sg.wild {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(sg.text))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func literal(segs []segment) string {
	var b strings.Builder
	for _, sg := range segs {
		if sg.wild != 0 {
			b.WriteRune(sg.wild)
		} else {
			b.WriteString(sg.text)
		}
	}
	return b.String()
}

// actionMatches: "Action values are not case-sensitive" and may use * and ?
// (reference_policies_elements_action.html). Actions never take variables.
func actionMatches(pattern, action string) bool {
	if pattern == "*" {
		return true
	}
	segs, _ := (&Request{}).expand(pattern, false, true)
	return regexpOf(segs, true).MatchString(action)
}

// resourceMatches: resource ARNs are matched case-sensitively with * and ?, after variables are substituted
// (reference_policies_elements_resource.html). "*" alone is every resource.
func (r *Request) resourceMatches(pattern string, vars bool) bool {
	if pattern == "*" {
		return true
	}
	segs, ok := r.expand(pattern, vars, true)
	if !ok {
		return false
	}
	return regexpOf(segs, false).MatchString(r.Resource)
}
