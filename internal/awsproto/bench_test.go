package awsproto_test

import (
	"fmt"
	"net/url"
	"syscall"
	"testing"
	"time"

	"gatehouse/internal/awsproto"
	"gatehouse/internal/awsproto/iamapi"
)

// BenchmarkEncodeGetUser is the hot path's encoder: a GetUser response with a boundary and
// two tags (target ≤ 5 µs).
func BenchmarkEncodeGetUser(b *testing.B) {
	op := iamapi.Operations["GetUser"]
	u := sampleUser("alice")
	out := &iamapi.GetUserOutput{User: u}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	stop := cpuTime(b)
	for b.Loop() {
		buf = awsproto.IAM.AppendResponse(buf[:0], op, out, requestID)
	}
	stop()
	b.SetBytes(int64(len(buf)))
}

// cpuTime reports the process's CPU time per operation beside the wall-clock ns/op, which
// a loaded machine inflates.
func cpuTime(b *testing.B) (stop func()) {
	var start syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &start)
	return func() {
		var end syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &end)
		used := time.Duration(end.Utime.Nano() + end.Stime.Nano() - start.Utime.Nano() - start.Stime.Nano())
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkDecodeGetUser decodes and validates a GetUser request's parameters.
func BenchmarkDecodeGetUser(b *testing.B) {
	params := url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}, "UserName": {"alice"}}
	b.ReportAllocs()
	stop := cpuTime(b)
	for b.Loop() {
		if _, _, err := awsproto.IAM.DecodeRequest(params); err != nil {
			b.Fatal(err)
		}
	}
	stop()
}

// BenchmarkDecodeCreateUserTags decodes a CreateUser with three tags.
func BenchmarkDecodeCreateUserTags(b *testing.B) {
	params, _ := url.ParseQuery("Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Feng%2F" +
		"&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.3.Key=c&Tags.member.3.Value=3")
	b.ReportAllocs()
	stop := cpuTime(b)
	for b.Loop() {
		if _, _, err := awsproto.IAM.DecodeRequest(params); err != nil {
			b.Fatal(err)
		}
	}
	stop()
}

// BenchmarkDecodeManyTags decodes 10,000 tags (with Validate refusing them for the list's
// max 50): decoding must stay O(n log n) in the parameters, however many a client sends.
func BenchmarkDecodeManyTags(b *testing.B) {
	// Built directly: url.ParseQuery itself refuses more than 10,000 parameters.
	params := url.Values{"Action": {"TagUser"}, "Version": {"2010-05-08"}, "UserName": {"alice"}}
	for i := 1; i <= 10000; i++ {
		params[fmt.Sprintf("Tags.member.%d.Key", i)] = []string{fmt.Sprintf("k%d", i)}
		params[fmt.Sprintf("Tags.member.%d.Value", i)] = []string{"v"}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := awsproto.IAM.DecodeRequest(params); err == nil {
			b.Fatal("10,000 tags accepted")
		}
	}
}
