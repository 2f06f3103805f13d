package iam

import (
	"context"
	"strings"

	"gatehouse/internal/awsproto/constraint"
	"gatehouse/internal/kv"
)

// Entity paths and path prefixes. Emulator mode's `--enforce off` (Options.MotoLenient)
// accepts paths AWS refuses, as moto server does: moto's tests create roles, instance
// profiles and users with Path="my-path" or "myUser" and groups with "some/location", and
// list users with PathPrefix="my" (tests/test_iam/test_iam.py, test_iam_groups.py). moto
// stores such a path as given and returns it so; so does Gatehouse, and the path-prefix
// indexes, listings and name uniqueness work unchanged on it.
//
// The validation layer checks these members — pattern and length, together with the rest of
// the input and before the call is authorized — and relaxes the pattern only for the server's
// lenient decoding (awsproto.Service.DecodeRequestLenient, gen lenientPatterns), so every
// other level answers as AWS does, every violation in one ValidationError
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html, Path). The checks
// below repeat it for callers that bypass the decoder, with the same message.
var (
	// pathType: "/" or "/…/" of printable ASCII.
	rulePath = constraint.String{Pattern: constraint.Pattern(`^(?:(\x{002F})|(\x{002F}[\x{0021}-\x{007E}]+\x{002F}))$`),
		PatternText: `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`}
	// policyPathType: CreatePolicy's path and ListPolicies' PathPrefix.
	rulePolicyPath = constraint.String{Pattern: constraint.Pattern(`^(?:((/[A-Za-z0-9\.,\+@=_-]+)*)/)$`),
		PatternText: `((/[A-Za-z0-9\.,\+@=_-]+)*)/`}
	// pathPrefixType: the List operations' PathPrefix.
	rulePathPrefix = constraint.String{Pattern: constraint.Pattern(`^(?:\x{002F}[\x{0021}-\x{007F}]*)$`),
		PatternText: `\u002F[\u0021-\u007F]*`}
)

// MotoLenient reports whether the service runs as emulator --enforce off, whose requests the
// server decodes with awsproto.Service.DecodeRequestLenient.
func (s *Service) MotoLenient() bool { return s.opt.MotoLenient }

// motoPath reports whether moto-lenient mode keeps p: printable ASCII without spaces. moto
// takes anything; a space, which separates path from name in the path indexes (keys.go), and
// control characters stay refused (constraint.MotoPath, which the validation layer applies).
func motoPath(p string) bool { return constraint.MotoPath.MatchString(p) }

// checkPath checks a Path member (member as the message names it, "path") against its
// model pattern r, or under Options.MotoLenient only against motoPath.
func (s *Service) checkPath(member, p string, r *constraint.String) error {
	if r.Pattern.MatchString(p) || s.opt.MotoLenient && motoPath(p) {
		return nil
	}
	v := constraint.Violations{Style: constraint.IAM}
	v.String("", member, p, r)
	return v.Err()
}

// listPrefix is a List operation's PathPrefix, checked like checkPath. An absent prefix is
// "", which matches every path: the same as AWS's default "/" for the paths AWS allows, and
// also the paths moto-lenient mode took ("myUser"), which moto lists by default too.
func (s *Service) listPrefix(prefix *string, r *constraint.String) (string, error) {
	if prefix == nil || *prefix == "" {
		return "", nil
	}
	if err := s.checkPath("pathPrefix", *prefix, r); err != nil {
		return "", err
	}
	return *prefix, nil
}

// arnPath is the path as an ARN shows it: the path itself, or for one moto-lenient mode took
// without its leading or trailing "/" the path with them ("my-path" → "/my-path/"), so that
// the ARN still parses back (parseIAMARN) to the entity's name and a path that matches
// (samePath). moto itself concatenates ("rolemy-pathmy-role"), an ARN that names nothing;
// its own tests expect "group/some/location/my-other-group" (test_iam_groups.py).
func arnPath(p string) string {
	if p == "" || p[0] == '/' && p[len(p)-1] == '/' {
		return p
	}
	return "/" + strings.TrimSuffix(strings.TrimPrefix(p, "/"), "/") + "/"
}

// samePath reports whether a stored path is the one an ARN (parseIAMARN's Path) names; the
// second may be a stored path too (a record's own path, handed on as if parsed).
func samePath(stored, inARN string) bool { return arnPath(stored) == arnPath(inARN) }

// policyNameType, an inline policy's name: relaxed for the same reason, since moto server
// takes any name and its tests use "test policy" (test_iam.py, test_put_role_policy). The
// validation layer checks PutXPolicy's leniently as it checks paths; GetXPolicy's and
// DeleteXPolicy's pattern is left to checkStoredInlineName (gen servicePatterns).
var rulePolicyName = constraint.String{Pattern: constraint.Pattern(`^(?:[\w+=,.@-]+)$`), PatternText: `[\w+=,.@-]+`}

// checkInlineName checks PutRolePolicy's (…, GetUserPolicy's, DeleteGroupPolicy's) PolicyName
// against its model pattern, or under Options.MotoLenient only against printable ASCII
// without "/" (the key layout puts a name after the holder's and a "/").
func (s *Service) checkInlineName(name *string) error {
	n := str(name)
	if rulePolicyName.Pattern.MatchString(n) {
		return nil
	}
	if s.opt.MotoLenient && motoInlineName(n) {
		return nil
	}
	v := constraint.Violations{Style: constraint.IAM}
	v.String("", "policyName", n, &rulePolicyName)
	return v.Err()
}

func motoInlineName(n string) bool { return constraint.MotoInlineName.MatchString(n) }

// checkStoredInlineName is checkInlineName for GetXPolicy and DeleteXPolicy, which also take
// a name that moto-lenient mode stored when the data is read under another level: the
// policy can then still be read and removed (and its holder deleted), while every name AWS
// could hold is answered exactly as before.
func (s *Service) checkStoredInlineName(ctx context.Context, a Account, kind entityKind, holder string, name *string) error {
	err := s.checkInlineName(name)
	if err == nil || !motoInlineName(str(name)) {
		return err
	}
	var found bool
	if verr := s.view(ctx, func(tx kv.Tx) error {
		var e error
		found, e = exists(tx, keysFor(a.ID).inline(kind, holder, str(name)))
		return e
	}); verr != nil {
		return verr
	}
	if found {
		return nil
	}
	return err
}
