package analyzer

import "strings"

// globMatch reports whether s matches pattern, in which * matches any run of characters
// and ? one character; both are in the same case already.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// globCovers reports whether every string that inner matches, outer matches too, for
// patterns with * and ?. It reads inner's wildcards as symbols that only outer's * may
// absorb (and outer's ? may stand for inner's ?, both being one character). That is
// sound — a true answer is always right — and complete enough for the redundancy
// suggestions that use it: it misses only containments that need outer's literals to
// cover inner's wildcards, which never hold.
func globCovers(outer, inner string) bool {
	// The common cases need no table: a pattern without wildcards covers only itself, a
	// literal inner is covered when outer matches it, and outer's literal prefix must
	// start inner.
	if !strings.ContainsAny(outer, "*?") {
		return outer == inner
	}
	if !strings.ContainsAny(inner, "*?") {
		return globMatch(outer, inner)
	}
	return globCoversPatterns(outer, inner)
}

// globCoversPatterns is globCovers for an outer and an inner that both have wildcards.
func globCoversPatterns(outer, inner string) bool {
	if lit := outer[:strings.IndexAny(outer, "*?")]; !strings.HasPrefix(inner, lit) {
		return false
	}
	// memo[i][j]: outer[i:] covers inner[j:]; 0 unknown, 1 yes, 2 no.
	memo := make([]uint8, (len(outer)+1)*(len(inner)+1))
	var covers func(i, j int) bool
	covers = func(i, j int) bool {
		k := i*(len(inner)+1) + j
		if memo[k] != 0 {
			return memo[k] == 1
		}
		var ok bool
		switch {
		case i == len(outer):
			ok = j == len(inner)
		case outer[i] == '*':
			// Absorb nothing, or one more symbol of inner.
			ok = covers(i+1, j) || (j < len(inner) && covers(i, j+1))
		case j == len(inner):
			ok = false
		case outer[i] == '?':
			ok = inner[j] != '*' && covers(i+1, j+1)
		default:
			ok = inner[j] != '*' && inner[j] != '?' && outer[i] == inner[j] && covers(i+1, j+1)
		}
		memo[k] = 2
		if ok {
			memo[k] = 1
		}
		return ok
	}
	return covers(0, 0)
}
