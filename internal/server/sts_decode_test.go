package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"gatehouse/internal/authmsg"
	"gatehouse/internal/awsproto/iamapi"
)

// newDecodeFixture is newEC2Fixture with STS: EC2 denials carry encoded messages and
// DecodeAuthorizationMessage opens them. A second account, 444455556666, has a root key
// under the name "other-root".
func newDecodeFixture(t *testing.T) *ec2Fixture { return buildEC2Fixture(t, true) }

// decode calls DecodeAuthorizationMessage as the named user ("" is root).
func (f *ec2Fixture) decode(t *testing.T, as, msg string) (int, string) {
	t.Helper()
	k := f.keys[as]
	req, body := signedReq(t, "sts", k[0], k[1], "", url.Values{"Action": {"DecodeAuthorizationMessage"},
		"Version": {"2011-06-15"}, "EncodedMessage": {msg}})
	req.Body = io.NopCloser(bytes.NewReader(body))
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

const encodedPrefix = ". Encoded authorization failure message: "

// encodedOf returns the encoded message an UnauthorizedOperation body ends with.
func encodedOf(t *testing.T, body string) string {
	t.Helper()
	msg := between(body, "<Message>", "</Message>")
	i := strings.LastIndex(msg, encodedPrefix)
	if i < 0 {
		t.Fatalf("no encoded authorization failure message in %s", body)
	}
	return msg[i+len(encodedPrefix):]
}

func TestDecodeAuthorizationMessage(t *testing.T) {
	f := newDecodeFixture(t)
	ctx := context.Background()
	f.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*"],"Resource":"*"}]}`)
	f.user(t, "decoder", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:DecodeAuthorizationMessage","Resource":"*"}]}`)
	f.user(t, "denied", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"},
		{"Sid":"NoBigOnes","Effect":"Deny","Action":"ec2:RunInstances","Resource":"arn:aws:ec2:*:*:instance/*",
		 "Condition":{"StringNotEquals":{"ec2:InstanceType":"t2.micro"}}}]}`)
	// grouped gets its Deny from a group's policy.
	f.user(t, "grouped", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`)
	g := "ops"
	if _, err := f.iam.CreateGroup(ctx, f.acct, &iamapi.CreateGroupInput{GroupName: &g}); err != nil {
		t.Fatal(err)
	}
	gp, gdoc := "deny-run", `{"Version":"2012-10-17","Statement":[{"Sid":"GroupDeny","Effect":"Deny","Action":"ec2:Run*","Resource":"*"}]}`
	if _, err := f.iam.PutGroupPolicy(ctx, f.acct, &iamapi.PutGroupPolicyInput{GroupName: &g, PolicyName: &gp, PolicyDocument: &gdoc}); err != nil {
		t.Fatal(err)
	}
	u := "grouped"
	if _, err := f.iam.AddUserToGroup(ctx, f.acct, &iamapi.AddUserToGroupInput{GroupName: &g, UserName: &u}); err != nil {
		t.Fatal(err)
	}
	group, err := f.iam.GetGroup(ctx, f.acct, &iamapi.GetGroupInput{GroupName: &g})
	if err != nil {
		t.Fatal(err)
	}
	userID := func(name string) string {
		out, err := f.iam.GetUser(ctx, f.acct, &iamapi.GetUserInput{UserName: &name})
		if err != nil {
			t.Fatal(err)
		}
		return out.User.UserId
	}
	run := url.Values{"Action": {"RunInstances"}, "ImageId": {"ami-12345678"}, "MinCount": {"1"}, "MaxCount": {"1"}, "InstanceType": {"m5.large"}}
	instances := "arn:aws:ec2:us-east-1:111122223333:instance/*"

	t.Run("an implicit deny", func(t *testing.T) {
		w := f.call(t, "reader", run)
		if w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>UnauthorizedOperation</Code>") {
			t.Fatalf("RunInstances as reader: got %d %s", w.Code, w.Body)
		}
		wantStart := "You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/reader is not authorized to perform: ec2:RunInstances on resource: " +
			instances + " because no identity-based policy allows the ec2:RunInstances action" + encodedPrefix
		if msg := between(w.Body.String(), "<Message>", "</Message>"); !strings.HasPrefix(msg, wantStart) {
			t.Errorf("message %q\nwant it to start %q", msg, wantStart)
		}
		enc := encodedOf(t, w.Body.String())
		for _, as := range []string{"", "decoder"} {
			code, body := f.decode(t, as, enc)
			if code != 200 {
				t.Fatalf("decode as %q: %d %s", as, code, body)
			}
			m := parseDecoded(t, body)
			want := authmsg.Principal{ID: userID("reader"), Name: "reader", ARN: "arn:aws:iam::111122223333:user/reader"}
			if m.Allowed || m.ExplicitDeny || m.Context.Principal != want || m.Context.Action != "RunInstances" ||
				m.Context.Resource != instances || len(m.MatchedStatements.Items) != 0 {
				t.Errorf("decoded as %q: %+v", as, m)
			}
			keys := conditionMap(m.Context.Conditions)
			for k, v := range map[string]string{"ec2:InstanceType": "m5.large", "ec2:Region": "us-east-1", "aws:Region": "us-east-1",
				"aws:Account": "111122223333", "aws:Type": "instance", "aws:Resource": "instance/*", "aws:ARN": instances, "aws:Service": "ec2"} {
				if keys[k] != v {
					t.Errorf("context key %s = %q, want %q (all: %v)", k, keys[k], v, keys)
				}
			}
		}
	})

	t.Run("an explicit deny shows the statement as written", func(t *testing.T) {
		w := f.call(t, "denied", run)
		if w.Code != 403 || !strings.Contains(w.Body.String(), "with an explicit deny in an identity-based policy"+encodedPrefix) {
			t.Fatalf("RunInstances as denied: got %d %s", w.Code, w.Body)
		}
		code, body := f.decode(t, "", encodedOf(t, w.Body.String()))
		if code != 200 {
			t.Fatalf("decode: %d %s", code, body)
		}
		m := parseDecoded(t, body)
		// Only the Deny that decided is listed, not the Allow it overrode.
		if !m.ExplicitDeny || m.Allowed || len(m.MatchedStatements.Items) != 1 {
			t.Fatalf("decoded: %s", body)
		}
		got, _ := json.Marshal(m.MatchedStatements.Items[0])
		want := `{"statementId":"NoBigOnes","effect":"DENY","principals":{"items":[{"value":"` + userID("denied") + `"}]},` +
			`"principalGroups":{"items":[]},"actions":{"items":[{"value":"ec2:RunInstances"}]},` +
			`"resources":{"items":[{"value":"arn:aws:ec2:*:*:instance/*"}]},` +
			`"conditions":{"items":[{"key":"ec2:InstanceType","values":{"items":[{"value":"t2.micro"}]}}]}}`
		if string(got) != want {
			t.Errorf("the Deny:\ngot  %s\nwant %s", got, want)
		}
	})

	t.Run("a group's statement names the group", func(t *testing.T) {
		w := f.call(t, "grouped", run)
		code, body := f.decode(t, "", encodedOf(t, w.Body.String()))
		if code != 200 {
			t.Fatalf("decode: %d %s", code, body)
		}
		m := parseDecoded(t, body)
		found := false
		for _, st := range m.MatchedStatements.Items {
			if st.StatementID == "GroupDeny" {
				found = true
				if len(st.PrincipalGroups.Items) != 1 || st.PrincipalGroups.Items[0].Value != group.Group.GroupId || st.Effect != "DENY" {
					t.Errorf("GroupDeny: %+v, want group %s", st, group.Group.GroupId)
				}
			}
		}
		if !found {
			t.Errorf("GroupDeny not matched: %s", body)
		}
	})

	enc := encodedOf(t, f.call(t, "reader", run).Body.String())
	for _, tc := range []struct {
		note, as, msg, code, text string
		status                    int
	}{
		{"a user without sts:DecodeAuthorizationMessage", "reader", enc, "AccessDenied",
			"User: arn:aws:iam::111122223333:user/reader is not authorized to perform: sts:DecodeAuthorizationMessage because no identity-based policy allows the sts:DecodeAuthorizationMessage action", 403},
		{"garbage", "", "garbage", "InvalidAuthorizationMessageException", "Message is not valid", 400},
		{"a line break inside", "", enc[:20] + "\n" + enc[20:], "InvalidAuthorizationMessageException", "Message is not valid", 400},
		{"one character changed", "", enc[:len(enc)-3] + flipChar(enc[len(enc)-3]) + enc[len(enc)-2:], "InvalidAuthorizationMessageException", "Message is not valid", 400},
		{"another account's root", "other-root", enc, "InvalidAuthorizationMessageException", "Message is not valid", 400},
		{"too long", "", strings.Repeat("A", 10241), "ValidationError", "Member must have length less than or equal to 10240", 400},
	} {
		code, body := f.decode(t, tc.as, tc.msg)
		if code != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") || !strings.Contains(body, tc.text) {
			t.Errorf("%s: got %d %s, want %d %s %q", tc.note, code, body, tc.status, tc.code, tc.text)
		}
	}

	// Describe calls are refused without an encoded message, as on AWS.
	w := f.call(t, "decoder", url.Values{"Action": {"DescribeInstances"}})
	if w.Code != 403 || strings.Contains(w.Body.String(), "Encoded authorization failure message") ||
		!strings.Contains(w.Body.String(), "because no identity-based policy allows the ec2:DescribeInstances action</Message>") {
		t.Errorf("DescribeInstances as decoder: %d %s", w.Code, w.Body)
	}
}

func flipChar(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func parseDecoded(t *testing.T, body string) *authmsg.Message {
	t.Helper()
	doc := between(body, "<DecodedMessage>", "</DecodedMessage>")
	doc = strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'").Replace(doc)
	m, err := authmsg.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("DecodedMessage %q: %v", doc, err)
	}
	return m
}

func conditionMap(l authmsg.List[authmsg.Condition]) map[string]string {
	out := map[string]string{}
	for _, c := range l.Items {
		var vs []string
		for _, v := range c.Values.Items {
			vs = append(vs, v.Value)
		}
		out[c.Key] = strings.Join(vs, ",")
	}
	return out
}
