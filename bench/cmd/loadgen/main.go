// Command loadgen measures a running Gatehouse's capacity the way docs/benchmarks.md
// describes: it signs a pool of requests once with aws-sdk-go-v2's SigV4 signer (SigV4 has
// no nonce, and a signature holds for 15 minutes), then replays them over keep-alive
// connections with a fixed concurrency, so the generator spends little CPU per request.
// It prints throughput, latency percentiles and its own CPU time beside them.
//
//	loadgen -endpoint http://127.0.0.1:7474 -credentials DIR/credentials -op getuser -duration 10s
//	loadgen … -op create-delete -pairs 20000          # CreateUser+DeleteUser pairs
//	loadgen … -op getuser -rate 7500                  # open loop at a fixed rate, for p99
//	loadgen … -op assumerole                          # sts:AssumeRole by a user, fresh session each call
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

type signed struct {
	header http.Header
	body   []byte
	raw    []byte // the whole HTTP/1.1 request, serialized once (raw client)
}

// wire returns the request as HTTP/1.1 bytes, serializing it on first use.
func (s *signed) wire(host string) []byte {
	if s.raw == nil {
		var b bytes.Buffer
		fmt.Fprintf(&b, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", host, len(s.body))
		_ = s.header.Write(&b)
		b.WriteString("\r\n")
		b.Write(s.body)
		s.raw = b.Bytes()
	}
	return s.raw
}

// fetchBody runs one request for setup and returns its whole body.
var fetchBody func(s signed) (int, string, error)

// workerConn, when set, gives worker w its own raw connection.
var workerConn func(w int) *rawConn

// rawConn is one keep-alive HTTP/1.1 connection driven by hand: write the request bytes,
// read the status line and headers, skip Content-Length bytes of body. It allocates almost
// nothing, so the generator's CPU stays small beside the server's on a shared machine.
type rawConn struct {
	addr string
	c    net.Conn
	br   *bufio.Reader
	buf  []byte
}

func (rc *rawConn) do(req []byte, firstFailure *sync.Once) (int, error) {
	if rc.c == nil {
		c, err := net.Dial("tcp", rc.addr)
		if err != nil {
			return 0, err
		}
		rc.c, rc.br = c, bufio.NewReaderSize(c, 16<<10)
	}
	code, body, err := rc.roundTrip(req)
	if err != nil {
		rc.c.Close()
		rc.c = nil
		return 0, err
	}
	if code != 200 && firstFailure != nil {
		firstFailure.Do(func() { fmt.Fprintf(os.Stderr, "loadgen: first failure: %d %s\n", code, body) })
	}
	return code, nil
}

func (rc *rawConn) roundTrip(req []byte) (int, []byte, error) {
	if _, err := rc.c.Write(req); err != nil {
		return 0, nil, err
	}
	line, err := rc.br.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	code := int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
	length := -1
	for {
		h, err := rc.br.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		if len(h) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			n := 0
			for _, ch := range bytes.TrimSpace(v) {
				n = n*10 + int(ch-'0')
			}
			length = n
		}
	}
	if length < 0 {
		return 0, nil, fmt.Errorf("response without Content-Length")
	}
	if cap(rc.buf) < length {
		rc.buf = make([]byte, length)
	}
	body := rc.buf[:length]
	if _, err := io.ReadFull(rc.br, body); err != nil {
		return 0, nil, err
	}
	return code, body, nil
}

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:7474", "Gatehouse API endpoint")
	credFile := flag.String("credentials", "./gatehouse-data/credentials", "shared-credentials file (profile gatehouse)")
	op := flag.String("op", "getuser", "getuser | assumerole | create-delete")
	conc := flag.Int("c", 16, "concurrent connections")
	duration := flag.Duration("duration", 10*time.Second, "how long to run (getuser)")
	pairs := flag.Int("pairs", 10000, "CreateUser+DeleteUser pairs (create-delete)")
	rate := flag.Float64("rate", 0, "requests per second, open loop (0: as fast as possible)")
	pool := flag.Int("pool", 1024, "distinct pre-signed requests to cycle through (getuser)")
	clientKind := flag.String("client", "raw", "raw: each worker writes pre-serialized HTTP/1.1 bytes on its own keep-alive connection and reads the response itself (a few µs of CPU a call); http: net/http's client")
	flag.Parse()

	keyID, secret, err := readCredentials(*credFile)
	if err != nil {
		fail(err)
	}
	u, err := url.Parse(*endpoint)
	if err != nil {
		fail(err)
	}
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	signer := v4.NewSigner()
	now := time.Now()
	signWith := func(creds aws.Credentials, service string, params url.Values) signed {
		body := []byte(params.Encode())
		req, _ := http.NewRequest("POST", *endpoint+"/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		sum := sha256.Sum256(body)
		if err := signer.SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", now); err != nil {
			fail(err)
		}
		return signed{header: req.Header, body: body}
	}
	sign := func(params url.Values) signed { return signWith(creds, "iam", params) }
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: *conc * 2, MaxConnsPerHost: *conc * 2,
		DialContext: (&net.Dialer{}).DialContext, DisableCompression: true,
	}}
	var firstFailure sync.Once
	httpDo := func(s signed) (int, error) {
		req, _ := http.NewRequest("POST", *endpoint+"/", bytes.NewReader(s.body))
		req.Header = s.header.Clone()
		req.Host = u.Host
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			firstFailure.Do(func() { fmt.Fprintf(os.Stderr, "loadgen: first failure: %d %s\n", resp.StatusCode, b) })
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	do := httpDo
	fetchBody = func(s signed) (int, string, error) {
		req, _ := http.NewRequest("POST", *endpoint+"/", bytes.NewReader(s.body))
		req.Header = s.header.Clone()
		req.Host = u.Host
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	if *clientKind == "raw" {
		// One raw connection per worker: run's workers call f with their own index, so each
		// keeps its connection; the setup calls below run on connection 0 before the workers.
		conns := make([]*rawConn, *conc)
		for i := range conns {
			conns[i] = &rawConn{addr: u.Host}
		}
		workerConn = func(w int) *rawConn { return conns[w] }
		do = func(s signed) (int, error) { return conns[0].do(s.wire(u.Host), nil) } // setup: the caller reads the status
	} else if *clientKind != "http" {
		fail(fmt.Errorf("unknown -client %q", *clientKind))
	}
	// call runs one pre-signed request from worker w.
	call := func(w int, s signed) (int, error) {
		if workerConn != nil {
			return workerConn(w).do(s.wire(u.Host), &firstFailure)
		}
		return httpDo(s)
	}

	switch *op {
	case "getuser":
		// The user to read: create it (unsigned pool needs it to exist).
		name := "loadgen-reader"
		if code, err := do(sign(url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}, "UserName": {name}})); err != nil || (code != 200 && code != 409) {
			fail(fmt.Errorf("creating %s: status %d, %v", name, code, err))
		}
		reqs := make([]signed, *pool)
		for i := range reqs {
			// Distinct bodies (a harmless extra member order) keep the pool honest about
			// per-request work while every signature stays valid.
			reqs[i] = sign(url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}, "UserName": {name}})
		}
		for i := range reqs {
			reqs[i].wire(u.Host) // serialize before the clock starts
		}
		run(*conc, *rate, *duration, 0, func(w, i int) (int, error) { return call(w, reqs[i%len(reqs)]) })
	case "assumerole":
		// AssumeRole needs a caller other than root ("Roles may not be assumed by root
		// accounts"): a user whose inline policy allows sts:AssumeRole on a role that trusts
		// the account. Each replayed request issues a fresh session.
		suffix := fmt.Sprint(now.UnixNano() % 1e9)
		user, role := "lg-assumer-"+suffix, "lg-role-"+suffix
		acct := setup(sign, url.Values{"Action": {"GetUser"}}, "<Arn>arn:aws:iam::", 12)
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
		setup(sign, url.Values{"Action": {"CreateUser"}, "UserName": {user}}, "", 0)
		setup(sign, url.Values{"Action": {"CreateRole"}, "RoleName": {role}, "AssumeRolePolicyDocument": {trust}}, "", 0)
		setup(sign, url.Values{"Action": {"PutUserPolicy"}, "UserName": {user}, "PolicyName": {"assume"},
			"PolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`}}, "", 0)
		keyOut := setup(sign, url.Values{"Action": {"CreateAccessKey"}, "UserName": {user}}, "", 0)
		userCreds := aws.Credentials{AccessKeyID: between(keyOut, "<AccessKeyId>", "<"), SecretAccessKey: between(keyOut, "<SecretAccessKey>", "<")}
		reqs := make([]signed, *pool)
		for i := range reqs {
			reqs[i] = signWith(userCreds, "sts", url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"},
				"RoleArn": {"arn:aws:iam::" + acct + ":role/" + role}, "RoleSessionName": {fmt.Sprintf("s%d", i)}})
			reqs[i].wire(u.Host)
		}
		run(*conc, *rate, *duration, 0, func(w, i int) (int, error) { return call(w, reqs[i%len(reqs)]) })
	case "create-delete":
		creates := make([]signed, *pairs)
		deletes := make([]signed, *pairs)
		for i := range creates {
			n := fmt.Sprintf("lg-%d-%d", now.UnixNano()%1e9, i)
			creates[i] = sign(url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}, "UserName": {n}})
			deletes[i] = sign(url.Values{"Action": {"DeleteUser"}, "Version": {"2010-05-08"}, "UserName": {n}})
		}
		run(*conc, *rate, 0, *pairs, func(w, i int) (int, error) {
			code, err := call(w, creates[i])
			if err != nil || code != 200 {
				return code, err
			}
			return call(w, deletes[i])
		})
	default:
		fail(fmt.Errorf("unknown -op %q", *op))
	}
}

// run calls f from conc workers, either for a duration or for n calls, and prints the figures.
func run(conc int, rate float64, d time.Duration, n int, f func(w, i int) (int, error)) {
	var next, errs, non200 atomic.Int64
	lat := make([][]time.Duration, conc)
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	deadline := start.Add(d)
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
	}
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if n > 0 && i >= n {
					return
				}
				if d > 0 && time.Now().After(deadline) {
					return
				}
				if interval > 0 {
					// Open loop: each call has a scheduled start; latency counts from it,
					// so a stalled server cannot hide its queueing (coordinated omission).
					sched := start.Add(time.Duration(i) * interval)
					if wait := time.Until(sched); wait > 0 {
						time.Sleep(wait)
					}
					code, err := f(w, i)
					lat[w] = append(lat[w], time.Since(sched))
					count(code, err, &errs, &non200)
					continue
				}
				t0 := time.Now()
				code, err := f(w, i)
				lat[w] = append(lat[w], time.Since(t0))
				count(code, err, &errs, &non200)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	cpu := tv(ru1.Utime) - tv(ru0.Utime) + tv(ru1.Stime) - tv(ru0.Stime)
	fmt.Printf("calls=%d elapsed=%s rate=%.0f/s errors=%d non200=%d p50=%s p90=%s p99=%s max=%s loadgen_cpu=%s (%.0f%% of one core)\n",
		len(all), elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds(), errs.Load(), non200.Load(),
		pct(0.50), pct(0.90), pct(0.99), pct(1), cpu.Round(time.Millisecond), 100*cpu.Seconds()/elapsed.Seconds())
}

func count(code int, err error, errs, non200 *atomic.Int64) {
	if err != nil {
		errs.Add(1)
	} else if code != 200 {
		non200.Add(1)
	}
}

func tv(t syscall.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}

// readCredentials reads the gatehouse profile of a shared-credentials file.
func readCredentials(path string) (string, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	var id, secret string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			in = line == "[gatehouse]"
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !in {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		return "", "", fmt.Errorf("%s: no [gatehouse] profile with a key", path)
	}
	return id, secret, nil
}

// setup runs one IAM call that must succeed and returns its body, or, with marker set, the
// n bytes after marker in it.
func setup(sign func(url.Values) signed, params url.Values, marker string, n int) string {
	params.Set("Version", "2010-05-08")
	s := sign(params)
	code, body, err := fetchBody(s)
	if err != nil || code != 200 {
		fail(fmt.Errorf("setup %s: status %d, %v: %s", params.Get("Action"), code, err, body))
	}
	if marker == "" {
		return body
	}
	i := strings.Index(body, marker)
	if i < 0 || i+len(marker)+n > len(body) {
		fail(fmt.Errorf("setup %s: no %q in %s", params.Get("Action"), marker, body))
	}
	return body[i+len(marker) : i+len(marker)+n]
}

// between returns the text after start up to the next end.
func between(s, start, end string) string {
	_, after, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(after, end)
	return v
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(1)
}
