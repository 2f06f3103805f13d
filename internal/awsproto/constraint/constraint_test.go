package constraint

import (
	"regexp"
	"testing"

	"gatehouse/internal/awserr"
)

func TestJavaLength(t *testing.T) {
	// Java counts UTF-16 code units: a character outside the BMP is two.
	for s, want := range map[string]int{"": 0, "abc": 3, "é": 1, "中文": 2, "😀": 2, "a😀b": 4} {
		if got := JavaLength(s); got != want {
			t.Errorf("JavaLength(%q): got %d, want %d", s, got, want)
		}
	}
}

func TestViolationsMessages(t *testing.T) {
	name := &String{Min: 1, Max: 3, HasMin: true, HasMax: true, Pattern: regexp.MustCompile(`^(?:[a-z]+)$`), PatternText: "[a-z]+"}
	secret := &String{Min: 6, HasMin: true, Sensitive: true}
	rng := &Number{Min: 900, Max: 43200, HasMin: true, HasMax: true}
	for _, c := range []struct {
		note  string
		style Style
		fill  func(v *Violations)
		code  string
		msg   string
	}{
		{"nothing violated", Coral, func(v *Violations) { v.String("", "name", "abc", name) }, "", ""},
		{"one violation, singular", Coral, func(v *Violations) { v.String("", "name", "abcd", name) }, "ValidationError",
			"1 validation error detected: Value 'abcd' at 'name' failed to satisfy constraint: Member must have length less than or equal to 3"},
		{"an emoji counts two toward max", Coral, func(v *Violations) { v.String("", "name", "a😀", &String{Max: 2, HasMax: true}) }, "ValidationError",
			"1 validation error detected: Value 'a😀' at 'name' failed to satisfy constraint: Member must have length less than or equal to 2"},
		{"the prefix joins the path", Coral, func(v *Violations) { v.Null("tags.1.member.", "key") }, "ValidationError",
			"1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null"},
		{"sensitive values are left out", Coral, func(v *Violations) { v.String("", "password", "abc", secret) }, "ValidationError",
			"1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length greater than or equal to 6"},
		{"ranges print whole numbers without a fraction", Coral, func(v *Violations) { v.Int("", "durationSeconds", 43201, rng) }, "ValidationError",
			"1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"several, plural and joined by '; '", Coral, func(v *Violations) { v.Null("", "a"); v.Int("", "b", 1, rng) }, "ValidationError",
			"2 validation errors detected: Value null at 'a' failed to satisfy constraint: Member must not be null; Value '1' at 'b' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"a list prints as Java prints it", Coral, func(v *Violations) {
			v.List("", "ids", 3, []string{"x", "y", "z"}, &Length{Max: 2, HasMax: true})
		}, "ValidationError",
			"1 validation error detected: Value '[x, y, z]' at 'ids' failed to satisfy constraint: Member must have length less than or equal to 2"},
		{"EC2: a missing parameter wins over other violations", EC2, func(v *Violations) { v.Int("", "HopLimit", 99, rng); v.Null("", "MaxCount") }, "MissingParameter",
			"The request must contain the parameter MaxCount"},
		{"EC2: the first bad value", EC2, func(v *Violations) { v.Int("", "DurationSeconds", 5, rng) }, "InvalidParameterValue",
			"Value (5) for parameter DurationSeconds is invalid. Member must have value greater than or equal to 900"},
	} {
		v := Violations{Style: c.style}
		c.fill(&v)
		err := v.Err()
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: got %v, want nil", c.note, err)
			}
			continue
		}
		ae, ok := awserr.As(err)
		if !ok || ae.Code != c.code || ae.Message != c.msg || ae.Status != 400 {
			t.Errorf("%s:\ngot  %v\nwant %s: %s", c.note, err, c.code, c.msg)
		}
	}
}

func TestWithoutSubstring(t *testing.T) {
	m := WithoutSubstring{Matcher: regexp.MustCompile(`^[a-z-]+$`), Sub: "--"}
	if !m.MatchString("a-b") || m.MatchString("a--b") || m.MatchString("A") {
		t.Error("WithoutSubstring: want a-b matched, a--b and A refused")
	}
}
