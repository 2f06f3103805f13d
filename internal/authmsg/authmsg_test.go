package authmsg

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/policy"
	"gatehouse/internal/seal"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// ringSealer is the keyring as the server reaches it through sts.Service.
type ringSealer struct{ k *seal.Keyring }

func (r ringSealer) SealRecord(rec, ad []byte) (string, error) { return r.k.SealToken(rec, ad) }
func (r ringSealer) OpenRecord(_ context.Context, s string, ad []byte) ([]byte, error) {
	return r.k.OpenToken(s, ad)
}

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func newRing(t *testing.T, now *time.Time) ringSealer {
	t.Helper()
	k, err := seal.NewKeyring(rand.Reader, func() time.Time { return *now })
	if err != nil {
		t.Fatal(err)
	}
	return ringSealer{k}
}

// sample is a denial built the way the server builds one: a user's explicit Deny with a
// condition, the request's own keys and those derived from the resource ARN.
func sample(t *testing.T) *Message {
	t.Helper()
	doc, err := policy.ParseLenient([]byte(`{"Version":"2012-10-17","Statement":[
		{"Sid":"NoBigOnes","Effect":"Deny","Action":["ec2:RunInstances","ec2:StartInstances"],
		 "Resource":"arn:aws:ec2:*:*:instance/*",
		 "Condition":{"StringNotEquals":{"ec2:InstanceType":["t2.micro","t3.micro"]}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	conds := []Condition{NewCondition("ec2:InstanceType", "m5.large"), NewCondition("ec2:Region", "us-east-1")}
	conds = append(conds, ResourceKeys("arn:aws:ec2:us-east-1:111122223333:instance/*", "us-east-1")...)
	SortConditions(conds)
	return &Message{
		ExplicitDeny:      true,
		MatchedStatements: List[Statement]{[]Statement{FromStatement(&doc.Statements[0], []string{"AIDAEXAMPLEALICE0001"}, nil)}},
		Context: Context{
			Principal:  Principal{ID: "AIDAEXAMPLEALICE0001", Name: "alice", ARN: "arn:aws:iam::111122223333:user/alice"},
			Action:     "RunInstances",
			Resource:   "arn:aws:ec2:us-east-1:111122223333:instance/*",
			Conditions: List[Condition]{conds},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestShapeGolden: the document the server builds, byte for byte.
func TestShapeGolden(t *testing.T) {
	b, err := json.Marshal(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "runinstances_deny.golden.json", append(b, '\n'))
}

// TestAWSShape: a document in the shape AWS's decoded messages have (members, their order,
// the items wrappers, a user principal's name) parses strictly and writes back unchanged.
func TestAWSShape(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "aws_shape.json"))
	if err != nil {
		t.Fatal(err)
	}
	in = bytes.TrimSpace(in)
	m, err := Parse(in)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, in) {
		t.Errorf("round trip changed the document:\ngot  %s\nwant %s", out, in)
	}
	if _, err := Parse([]byte(`{"allowed":false,"extra":1}`)); err == nil {
		t.Error("Parse accepted an unknown member")
	}
}

// TestEmptyLists: lists are "items": [], never null, as in AWS's implicit-deny messages.
func TestEmptyLists(t *testing.T) {
	b, err := json.Marshal(&Message{Context: Context{Principal: Principal{ID: "AROAEXAMPLE:s", ARN: "arn:aws:sts::111122223333:assumed-role/r/s"}, Action: "RunInstances", Resource: "*"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"allowed":false,"explicitDeny":false,"matchedStatements":{"items":[]},"failures":{"items":[]},"context":{"principal":{"id":"AROAEXAMPLE:s","arn":"arn:aws:sts::111122223333:assumed-role/r/s"},"action":"RunInstances","resource":"*","conditions":{"items":[]}}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestResourceKeys(t *testing.T) {
	for _, tc := range []struct {
		note, arn, region string
		want              map[string]string
	}{
		{"an EC2 instance", "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc", "eu-west-1",
			map[string]string{"aws:ARN": "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc", "aws:Account": "111122223333",
				"aws:Region": "us-east-1", "aws:Service": "ec2", "aws:Type": "instance", "aws:Resource": "instance/i-0abc"}},
		{"an IAM role takes the request's region", "arn:aws:iam::111122223333:role/app/r1", "us-east-1",
			map[string]string{"aws:ARN": "arn:aws:iam::111122223333:role/app/r1", "aws:Account": "111122223333",
				"aws:Region": "us-east-1", "aws:Service": "iam", "aws:Type": "role", "aws:Resource": "role/app/r1"}},
		{"a public image has no account", "arn:aws:ec2:us-east-1::image/ami-1", "us-east-1",
			map[string]string{"aws:ARN": "arn:aws:ec2:us-east-1::image/ami-1", "aws:Region": "us-east-1",
				"aws:Service": "ec2", "aws:Type": "image", "aws:Resource": "image/ami-1"}},
		{"no resource", "*", "us-east-1", map[string]string{}},
	} {
		got := map[string]string{}
		for _, c := range ResourceKeys(tc.arn, tc.region) {
			if len(c.Values.Items) != 1 {
				t.Fatalf("%s: %s has %d values", tc.note, c.Key, len(c.Values.Items))
			}
			got[c.Key] = c.Values.Items[0].Value
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.note, got, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.note, k, got[k], v)
			}
		}
	}
}

// TestRoundTrip: what Seal encodes, Open returns as the same JSON document, URL-safe.
func TestRoundTrip(t *testing.T) {
	now := t0
	s := newRing(t, &now)
	m := sample(t)
	want, _ := json.Marshal(m)
	enc, err := Seal(s, "111122223333", now, m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(enc, "+/=\n ") {
		t.Errorf("encoded message %q is not URL-safe text", enc)
	}
	if strings.Contains(enc, "alice") || strings.Contains(enc, "NoBigOnes") {
		t.Error("encoded message shows its content")
	}
	got, err := Open(context.Background(), s, "111122223333", now.Add(time.Hour), 36*time.Hour, enc)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got %s, want %s", got, want)
	}
	again, _ := Seal(s, "111122223333", now, sample(t))
	if again == enc {
		t.Error("two seals of one message are equal: the nonce is not fresh")
	}
}

// TestOpenRefuses: every way a message must not open.
func TestOpenRefuses(t *testing.T) {
	now := t0
	s := newRing(t, &now)
	enc, err := Seal(s, "111122223333", now, sample(t))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := []byte(enc)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	other := newRing(t, &now)
	ctx := context.Background()
	for _, tc := range []struct {
		note    string
		s       Sealer
		account string
		at      time.Time
		enc     string
		want    error
	}{
		{"a flipped character in the ciphertext", s, "111122223333", now, flip(len(enc) / 2), ErrInvalid},
		{"a flipped character in the tag", s, "111122223333", now, flip(len(enc) - 2), ErrInvalid},
		{"a flipped key ID", s, "111122223333", now, flip(0), ErrInvalid},
		{"truncated", s, "111122223333", now, enc[:len(enc)-4], ErrInvalid},
		{"extended", s, "111122223333", now, enc + "AAAA", ErrInvalid},
		{"a line break inside", s, "111122223333", now, enc[:10] + "\n" + enc[10:], ErrInvalid},
		{"another account", s, "444455556666", now, enc, ErrInvalid},
		{"another server's keyring", other, "111122223333", now, enc, ErrInvalid},
		{"garbage", s, "111122223333", now, "not-a-message", ErrInvalid},
		{"empty", s, "111122223333", now, "", ErrInvalid},
		{"too long", s, "111122223333", now, strings.Repeat("A", MaxEncodedLen+1), ErrInvalid},
		{"expired", s, "111122223333", now.Add(36*time.Hour + time.Second), enc, ErrExpired},
	} {
		got, err := Open(ctx, tc.s, tc.account, tc.at, 36*time.Hour, tc.enc)
		if !errors.Is(err, tc.want) || got != nil {
			t.Errorf("%s: got (%q, %v), want %v", tc.note, got, err, tc.want)
		}
	}
}

// TestRotation: a message sealed under a retired key opens while the key is in the ring,
// and not once it is pruned.
func TestRotation(t *testing.T) {
	now := t0
	s := newRing(t, &now)
	enc, err := Seal(s, "111122223333", now, sample(t))
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(24 * time.Hour)
	if _, err := s.k.Rotate(); err != nil {
		t.Fatal(err)
	}
	fresh, err := Seal(s, "111122223333", now, sample(t))
	if err != nil {
		t.Fatal(err)
	}
	if fresh[:2] == enc[:2] {
		t.Error("a message sealed after rotation names the old key")
	}
	ctx := context.Background()
	if _, err := Open(ctx, s, "111122223333", now, 36*time.Hour, enc); err != nil {
		t.Errorf("old message after rotation: %v", err)
	}
	now = now.Add(37 * time.Hour)
	if n := s.k.Prune(36 * time.Hour); n != 1 {
		t.Fatalf("pruned %d keys, want 1", n)
	}
	if _, err := Open(ctx, s, "111122223333", now, 100*time.Hour, enc); !errors.Is(err, ErrInvalid) {
		t.Errorf("message under a pruned key: got %v, want ErrInvalid", err)
	}
}

// TestSealFits: a message too long for DecodeAuthorizationMessage's 10,240 characters is
// trimmed to fit and keeps its decision, principal, action and resource.
func TestSealFits(t *testing.T) {
	now := t0
	s := newRing(t, &now)
	m := sample(t)
	for i := range 400 {
		m.Context.Conditions.Items = append(m.Context.Conditions.Items, NewCondition("aws:RequestTag/k"+strings.Repeat("x", i%50), strings.Repeat("v", 40)))
	}
	st := m.MatchedStatements.Items[0]
	for i := range 300 {
		st.Actions.Items = append(st.Actions.Items, Value{"ec2:Action" + strings.Repeat("y", i%40)})
	}
	m.MatchedStatements.Items = []Statement{st, st, st}
	enc, err := Seal(s, "111122223333", now, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) > MaxEncodedLen {
		t.Fatalf("encoded message is %d characters, want at most %d", len(enc), MaxEncodedLen)
	}
	doc, err := Open(context.Background(), s, "111122223333", now, time.Hour, enc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ExplicitDeny || got.Context.Action != "RunInstances" || got.Context.Principal.Name != "alice" ||
		got.Context.Resource != "arn:aws:ec2:us-east-1:111122223333:instance/*" || len(got.MatchedStatements.Items) == 0 {
		t.Errorf("trimmed message lost its core: %s", doc)
	}
}

// FuzzOpen: Open takes any text a caller sends; it never panics and opens only what Seal
// made.
func FuzzOpen(f *testing.F) {
	now := t0
	k, err := seal.NewKeyring(rand.Reader, func() time.Time { return now })
	if err != nil {
		f.Fatal(err)
	}
	s := ringSealer{k}
	enc, err := Seal(s, "111122223333", now, &Message{Context: Context{Action: "RunInstances", Resource: "*"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add(enc[:len(enc)-1])
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("====")
	f.Fuzz(func(t *testing.T, in string) {
		doc, err := Open(context.Background(), s, "111122223333", now, time.Hour, in)
		if err == nil && in != enc {
			t.Fatalf("Open accepted %q as %s", in, doc)
		}
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) {
			t.Fatalf("Open(%q): unexpected error %v", in, err)
		}
	})
}
