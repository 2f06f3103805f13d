package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"gatehouse/internal/kv"
	"gatehouse/internal/policy"
)

// A trust policy's IAM user and role principals
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles):
// "When you save the policy, AWS transforms the ARN to a unique principal ID … if you delete
// the role or user, then the relationship is broken … the principal ID shows up … because
// AWS can no longer map it back to an ARN", so a role or user recreated under the same name
// is not trusted. Gatehouse keeps the document as written and records, beside it, the
// unique ID each named user or role of an account the store holds had when the policy was
// saved (roleRecord.TrustIDs); reads substitute the recorded ID for an ARN whose entity is
// gone or is a different one now (shownTrust).
//
// The server caches a role's compiled trust policy by its account's generation. A principal
// of the role's own account changes that generation itself; for a principal of another
// account, saving the policy also writes a reference trustref/<their account>/<ARN>/<role's
// account>, and a change that touches a user or role (its creation, rename, deletion …)
// moves the generation of every account holding a reference to it (bumpTrusting), so the
// cache and GetRole agree across accounts too. A reference outlives the role that wrote it:
// the cost is an extra generation step in that account, never a stale trust.

const trustRefPrefix = "trustref/"

// trustRefs is the prefix of the references to the user or role arn (of account owner).
func trustRefs(owner, arn string) string { return trustRefPrefix + owner + "/" + lower(arn) + "/" }

// trustPrincipalIDs records the unique IDs of doc's user and role principals. With lenient
// (Options.MotoLenient) a principal that does not exist is left out rather than refused.
func trustPrincipalIDs(tx kv.Tx, a Account, doc string, lenient bool) (map[string]string, error) {
	d, err := policy.ParseLenient([]byte(doc))
	if err != nil {
		return nil, nil // validatePolicyDocument already accepted it; nothing to record
	}
	var ids map[string]string
	held := map[string]bool{}
	for _, st := range d.Statements {
		if st.Principal == nil {
			continue
		}
		for _, v := range st.Principal.AWS {
			p, ok := parseIAMARN(v)
			if !ok || (p.Resource != "user" && p.Resource != "role") {
				continue
			}
			h, seen := held[p.Account]
			if !seen {
				if h, err = exists(tx, accountKey(p.Account)); err != nil {
					return nil, err
				}
				held[p.Account] = h
			}
			if !h {
				continue
			}
			id, found, err := principalID(tx, p)
			if err != nil {
				return nil, err
			}
			if !found && lenient {
				continue
			}
			if !found {
				return nil, malformedPolicyDocument("Invalid principal in policy: %q:%q", "AWS", v)
			}
			if ids == nil {
				ids = map[string]string{}
			}
			ids[v] = id
			if p.Account != a.ID {
				if err := tx.Put(trustRefs(p.Account, v)+a.ID, nil); err != nil {
					return nil, err
				}
			}
		}
	}
	return ids, nil
}

// principalID returns the unique ID of the user or role p names; found is false when there
// is none at that path.
func principalID(tx kv.Tx, p parsedARN) (id string, found bool, err error) {
	k := keysFor(p.Account)
	if p.Resource == "user" {
		var u userRecord
		if found, err = getJSON(tx, k.entity(kindUser, p.Name), &u); err != nil || !found {
			return "", false, err
		}
		return u.ID, samePath(u.Path, p.Path), nil
	}
	var r roleRecord
	if found, err = getJSON(tx, k.entity(kindRole, p.Name), &r); err != nil || !found {
		return "", false, err
	}
	return r.ID, samePath(r.Path, p.Path), nil
}

// shownTrust returns r's trust policy as IAM shows and enforces it now: the stored text with
// each recorded ARN whose user or role is gone, or has another unique ID, replaced by the
// unique ID recorded for it.
func shownTrust(tx kv.Tx, r roleRecord) (string, error) {
	if len(r.TrustIDs) == 0 {
		return r.TrustPolicy, nil
	}
	var gone map[string]string
	for arn, id := range r.TrustIDs {
		p, ok := parseIAMARN(arn)
		if !ok {
			continue
		}
		cur, found, err := principalID(tx, p)
		if err != nil {
			return "", err
		}
		if found && cur == id {
			continue
		}
		if gone == nil {
			gone = map[string]string{}
		}
		gone[arn] = id
	}
	if gone == nil {
		return r.TrustPolicy, nil
	}
	return substitutePrincipals(r.TrustPolicy, gone), nil
}

// withShownTrust returns r with its trust policy as shown (shownTrust), for output.
func withShownTrust(tx kv.Tx, r roleRecord) (roleRecord, error) {
	doc, err := shownTrust(tx, r)
	r.TrustPolicy = doc
	return r, err
}

// substitutePrincipals replaces, in the Principal and NotPrincipal "AWS" values of doc's
// statements, each string that is a key of repl by its value, leaving every other byte as
// it is. A document it cannot read is returned unchanged.
func substitutePrincipals(doc string, repl map[string]string) string {
	data := []byte(doc)
	type span struct {
		start, end int
		with       string
	}
	var spans []span
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// path holds, for each open container, the key under which it was opened ("" for an
	// array element or the top level); key is the pending object key, if any.
	type frame struct {
		object bool
		name   string
		key    string // the current key, in an object
		expect bool   // an object expects a key next
	}
	var stack []frame
	inAWS := func() bool {
		// …Statement…/Principal|NotPrincipal/AWS, the value being a string or in an array.
		n := len(stack)
		if n == 0 {
			return false
		}
		top := stack[n-1]
		if top.object {
			if top.key != "AWS" || n < 1 {
				return false
			}
			return top.name == "Principal" || top.name == "NotPrincipal"
		}
		// An array: its own name is AWS and the enclosing object is the Principal.
		if top.name != "AWS" || n < 2 {
			return false
		}
		return stack[n-2].name == "Principal" || stack[n-2].name == "NotPrincipal"
	}
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return doc
		}
		name := ""
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				name = stack[n-1].key
			} else {
				name = stack[n-1].name
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, frame{object: true, name: name, expect: true})
				continue
			case '[':
				stack = append(stack, frame{name: name})
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expect {
				stack[n-1].key, stack[n-1].expect = v, false
				continue
			}
			if with, ok := repl[v]; ok && inAWS() {
				end := int(dec.InputOffset())
				start := int(before) + bytes.IndexByte(data[before:end], '"')
				spans = append(spans, span{start, end, with})
			}
		}
		// A value ended: an object expects its next key.
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].expect = true
		}
	}
	if len(spans) == 0 {
		return doc
	}
	var b strings.Builder
	last := 0
	for _, s := range spans {
		b.Write(data[last:s.start])
		q, _ := json.Marshal(s.with)
		b.Write(q)
		last = s.end
	}
	b.Write(data[last:])
	return b.String()
}

// bumpTrusting moves the generation of every other account whose trust policies reference a
// user or role this change touched, so their servers recompile those policies (shownTrust
// then shows a recreated principal as the unique ID it replaced). The new generations are
// noted on this node after the commit (Service.update); other nodes see the state keys move.
func (t *txn) bumpTrusting() error {
	for p := range t.principals {
		prefix := trustRefs(t.acct.ID, p)
		refs, err := listAll(t.tx, prefix)
		if err != nil {
			return err
		}
		for _, r := range refs {
			other := r.Key[len(prefix):]
			if other == t.acct.ID || strings.ContainsRune(other, '/') {
				continue // a deeper path's reference, or the account's own
			}
			if _, done := t.trusting[other]; done {
				continue
			}
			k := keysFor(other)
			st, err := readState(t.tx, k)
			if err != nil {
				return err
			}
			st.Gen++
			if err := putJSON(t.tx, k.state(), st); err != nil {
				return err
			}
			if t.trusting == nil {
				t.trusting = map[string]uint64{}
			}
			t.trusting[other] = st.Gen
		}
	}
	return nil
}
