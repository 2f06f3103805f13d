package iam

import (
	"bytes"
	"errors"
	"image/png"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/awsproto/iamapi"
)

// now returns the test clock's current time without advancing it.
func (c *testClock) peek() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// codeAt is the TOTP code of seed at step offset steps from the clock's current step.
func (e *testEnv) codeAt(seed string, offset int64) string {
	e.t.Helper()
	c, err := totpCode(seed, e.clock.peek().Unix()/mfaPeriod+offset)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func TestVirtualMFALifecycle(t *testing.T) {
	env := newEnv(t)
	// Start well inside a step so that the clock's one-second ticks do not cross a boundary
	// between computing codes and checking them.
	env.clock.advance(time.Duration(30-env.clock.peek().Unix()%30+2) * time.Second)
	env.must("CreateUser", `{"UserName":"alice"}`)
	out := env.must("CreateVirtualMFADevice", `{"VirtualMFADeviceName":"alice-phone","Path":"/team/","Tags":[{"Key":"k","Value":"v"}]}`).(*iamapi.CreateVirtualMFADeviceOutput)
	dev := out.VirtualMFADevice
	serial := "arn:aws:iam::" + testAccount + ":mfa/team/alice-phone"
	if dev.SerialNumber != serial {
		t.Fatalf("got serial %s, want %s", dev.SerialNumber, serial)
	}
	seed := string(dev.Base32StringSeed)
	if len(seed) != 64 {
		t.Fatalf("got seed of %d characters, want 64", len(seed))
	}
	if _, err := png.Decode(bytes.NewReader(dev.QRCodePNG)); err != nil {
		t.Fatalf("QRCodePNG: %v", err)
	}
	for k, v := range snapshot(t, env.store) {
		if strings.Contains(v, seed) {
			t.Fatalf("seed stored in the clear under %s", k)
		}
	}
	_, err := env.call(root(), "CreateVirtualMFADevice", `{"VirtualMFADeviceName":"ALICE-PHONE"}`)
	wantErr(t, err, "EntityAlreadyExists", "MFA device already exists.")

	enable := func(c1, c2 string) error {
		_, err := env.call(root(), "EnableMFADevice", `{"UserName":"alice","SerialNumber":"`+serial+`","AuthenticationCode1":"`+c1+`","AuthenticationCode2":"`+c2+`"}`)
		return err
	}
	wantErr(t, enable("123456", "654321"), "InvalidAuthenticationCode", "Authentication code for device is not valid.")
	// Two codes that are not consecutive.
	wantErr(t, enable(env.codeAt(seed, -2), env.codeAt(seed, 0)), "InvalidAuthenticationCode", "")
	if err := enable(env.codeAt(seed, -1), env.codeAt(seed, 0)); err != nil {
		t.Fatalf("EnableMFADevice: %v", err)
	}
	wantErr(t, enable(env.codeAt(seed, -1), env.codeAt(seed, 0)), "EntityAlreadyExists", "MFA Device is already in use.")

	if err := subset(env.must("ListMFADevices", `{"UserName":"alice"}`), `{"MFADevices":[{"UserName":"alice","SerialNumber":"`+serial+`"}]}`); err != nil {
		t.Fatal(err)
	}
	self := Account{ID: testAccount, Caller: "arn:aws:iam::" + testAccount + ":user/alice"}
	got, err := env.call(self, "ListMFADevices", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := subset(got, `{"MFADevices":[{"SerialNumber":"`+serial+`"}]}`); err != nil {
		t.Fatal(err)
	}
	if err := subset(env.must("ListVirtualMFADevices", `{"AssignmentStatus":"Assigned"}`), `{"VirtualMFADevices":[{"SerialNumber":"`+serial+`","User":{"UserName":"alice"},"Base32StringSeed":null,"QRCodePNG":null}]}`); err != nil {
		t.Fatal(err)
	}
	if err := subset(env.must("ListVirtualMFADevices", `{"AssignmentStatus":"Unassigned"}`), `{"VirtualMFADevices":[]}`); err != nil {
		t.Fatal(err)
	}
	if err := subset(env.must("GetMFADevice", `{"SerialNumber":"`+serial+`","UserName":"alice"}`), `{"UserName":"alice","SerialNumber":"`+serial+`"}`); err != nil {
		t.Fatal(err)
	}
	_, err = env.call(root(), "DeleteUser", `{"UserName":"alice"}`)
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must delete MFA device first.")
	_, err = env.call(root(), "DeleteVirtualMFADevice", `{"SerialNumber":"`+serial+`"}`)
	wantErr(t, err, "DeleteConflict", "MFA Device is still in use.")

	// VerifyMFA: the current code once; a replay or the enable codes fail.
	env.clock.advance(30 * time.Second)
	code := env.codeAt(seed, 0)
	if err := env.svc.VerifyMFA(ctx(), testAccount, "alice", serial, code); err != nil {
		t.Fatalf("VerifyMFA: %v", err)
	}
	if err := env.svc.VerifyMFA(ctx(), testAccount, "alice", serial, code); !errors.Is(err, ErrInvalidMFACode) {
		t.Fatalf("replayed code: got %v, want ErrInvalidMFACode", err)
	}
	if err := env.svc.VerifyMFA(ctx(), testAccount, "bob", serial, env.codeAt(seed, 1)); !errors.Is(err, ErrNoSuchMFADevice) {
		t.Fatalf("another user: got %v, want ErrNoSuchMFADevice", err)
	}

	// The device's clock runs five steps ahead: resync measures it, and later codes verify.
	_, err = env.call(root(), "ResyncMFADevice", `{"UserName":"alice","SerialNumber":"`+serial+`","AuthenticationCode1":"`+env.codeAt(seed, 5)+`","AuthenticationCode2":"`+env.codeAt(seed, 6)+`"}`)
	if err != nil {
		t.Fatalf("ResyncMFADevice: %v", err)
	}
	env.clock.advance(60 * time.Second)
	if err := env.svc.VerifyMFA(ctx(), testAccount, "alice", serial, env.codeAt(seed, 6)); err != nil {
		t.Fatalf("VerifyMFA after resync: %v", err)
	}

	// Tags.
	env.must("TagMFADevice", `{"SerialNumber":"`+serial+`","Tags":[{"Key":"owner","Value":"alice"}]}`)
	env.must("UntagMFADevice", `{"SerialNumber":"`+serial+`","TagKeys":["k"]}`)
	if err := subset(env.must("ListMFADeviceTags", `{"SerialNumber":"`+serial+`"}`), `{"Tags":[{"Key":"owner","Value":"alice"}]}`); err != nil {
		t.Fatal(err)
	}

	// Renaming the user carries the device.
	env.must("UpdateUser", `{"UserName":"alice","NewUserName":"alice2"}`)
	if err := subset(env.must("ListMFADevices", `{"UserName":"alice2"}`), `{"MFADevices":[{"UserName":"alice2"}]}`); err != nil {
		t.Fatal(err)
	}
	_, err = env.call(root(), "DeactivateMFADevice", `{"UserName":"alice","SerialNumber":"`+serial+`"}`)
	wantErr(t, err, "NoSuchEntity", "")
	env.must("DeactivateMFADevice", `{"UserName":"alice2","SerialNumber":"`+serial+`"}`)
	if err := subset(env.must("ListMFADevices", `{"UserName":"alice2"}`), `{"MFADevices":[]}`); err != nil {
		t.Fatal(err)
	}
	if err := env.svc.VerifyMFA(ctx(), testAccount, "alice2", serial, env.codeAt(seed, 0)); !errors.Is(err, ErrNoSuchMFADevice) {
		t.Fatalf("deactivated device: got %v, want ErrNoSuchMFADevice", err)
	}
	env.must("DeleteVirtualMFADevice", `{"SerialNumber":"`+serial+`"}`)
	env.must("DeleteUser", `{"UserName":"alice2"}`)
	_, err = env.call(root(), "GetMFADevice", `{"SerialNumber":"`+serial+`"}`)
	wantErr(t, err, "NoSuchEntity", "")
	_, err = env.call(root(), "DeleteVirtualMFADevice", `{"SerialNumber":"`+serial+`"}`)
	wantErr(t, err, "NoSuchEntity", "MFA Device with serial number "+serial+" does not exist.")
}

func TestOtpauthURI(t *testing.T) {
	got := otpauthURI("my-alias", "dev 1", "ABC")
	want := "otpauth://totp/my-alias:dev%201?algorithm=SHA1&digits=6&issuer=my-alias&period=30&secret=ABC"
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
