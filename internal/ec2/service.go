package ec2

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto/ec2api"
	"gatehouse/internal/kv"
)

// Options configure a Service; zero fields are filled by withDefaults.
type Options struct {
	Store  kv.Store
	Region string
	Now    func() time.Time
	Rand   io.Reader
	// MaxInstances is the account's instance quota (non-terminated instances); AWS's is in
	// vCPUs, which Gatehouse has none of, so it counts instances. Default 1,000.
	MaxInstances int
	// OnChange, if set, is called after every committed change with the instance as it now
	// is (the metadata service starts, stops or re-reads its endpoint).
	OnChange func(Instance)
}

func (o Options) withDefaults() Options {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.MaxInstances == 0 {
		o.MaxInstances = 1000
	}
	return o
}

// Service is the EC2 domain. It is safe for concurrent use.
type Service struct{ opt Options }

// New returns a Service over the store.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("ec2: Options.Store is required")
	}
	return &Service{opt: o.withDefaults()}, nil
}

// Region is the region the service's instances live in.
func (s *Service) Region() string { return s.opt.Region }

// Account is whom a call acts for.
type Account struct {
	ID        string // 12 digits
	Partition string // "aws" when empty
	Caller    string // the caller's ARN (the instance's requester)
}

// terminatedVisible is how long a terminated instance stays in DescribeInstances: "After
// you terminate an instance, it remains visible in the console for a short while (up to an
// hour)" (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html).
const terminatedVisible = time.Hour

// Keys: ec2/ACCOUNT/i/INSTANCE-ID holds an instance; ec2/ACCOUNT/a/ASSOC-ID names the
// instance an association belongs to.
func instanceKey(acct, id string) string { return "ec2/" + acct + "/i/" + id }
func instancePrefix(acct string) string  { return "ec2/" + acct + "/i/" }
func assocKey(acct, id string) string    { return "ec2/" + acct + "/a/" + id }
func assocPrefix(acct string) string     { return "ec2/" + acct + "/a/" }

func (s *Service) newID(prefix string) (string, error) {
	var b [9]byte
	if _, err := io.ReadFull(s.opt.Rand, b[:]); err != nil {
		return "", fmt.Errorf("ec2: random ID: %w", err)
	}
	return prefix + hex.EncodeToString(b[:])[:17], nil
}

func getInstance(tx kv.Tx, acct, id string) (*Instance, error) {
	b, err := tx.Get(instanceKey(acct, id))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, errNoInstance(id)
	}
	if err != nil {
		return nil, err
	}
	var in Instance
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("ec2: instance %s: %w", id, err)
	}
	return &in, nil
}

func putInstance(tx kv.Tx, in *Instance) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return tx.Put(instanceKey(in.Account, in.ID), b)
}

func errNoInstance(ids ...string) error {
	if len(ids) == 1 {
		return ec2api.InvalidInstanceIDNotFound("The instance ID '%s' does not exist", ids[0])
	}
	return ec2api.InvalidInstanceIDNotFound("The instance IDs '%s' do not exist", strings.Join(ids, ", "))
}

// visible reports whether a stored instance still exists for the API.
func (s *Service) visible(in *Instance) bool {
	return in.State != Terminated || s.opt.Now().Sub(in.Changed) < terminatedVisible
}

func (s *Service) notify(ins []*Instance) {
	if s.opt.OnChange == nil {
		return
	}
	for _, in := range ins {
		s.opt.OnChange(*in)
	}
}

// LaunchSpec is a checked RunInstances request.
type LaunchSpec struct {
	ImageID          string
	Type             string
	MinCount         int
	MaxCount         int
	AvailabilityZone string
	Tags             []Tag
	Metadata         MetadataOptions
	Profile          *Profile
	// ClientToken makes the launch idempotent: the same token returns the first launch's
	// reservation instead of launching again (the SDKs fill it in, so a retried
	// RunInstances does not launch twice;
	// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Run_Instance_Idempotency.html).
	ClientToken string
}

// launchRecord is what a client token remembers of its launch.
type launchRecord struct {
	Reservation string   `json:"reservation"`
	Spec        string   `json:"spec"` // the launch's parameters, to refuse a different request
	Instances   []string `json:"instances"`
}

func tokenKey(acct, token string) string {
	sum := sha256.Sum256([]byte(token))
	return "ec2/" + acct + "/token/" + hex.EncodeToString(sum[:])
}

// Reservation is the instances one RunInstances call launched.
type Reservation struct {
	ID        string
	Account   string
	Instances []Instance
}

// Run launches spec.MaxCount instances, or as many as the quota leaves if that is at least
// MinCount (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html:
// "If Amazon EC2 cannot launch the minimum number of instances you request, no instances
// are launched"). The returned instances are in state pending, as RunInstances reports
// them; stored, they are already running.
func (s *Service) Run(ctx context.Context, a Account, spec LaunchSpec) (Reservation, error) {
	if spec.MinCount < 1 {
		return Reservation{}, ec2api.InvalidParameterValue("Value (%d) for parameter minCount is invalid. Expected a positive integer.", spec.MinCount)
	}
	if spec.MaxCount < spec.MinCount {
		return Reservation{}, ec2api.InvalidParameterValue("Value (%d) for parameter maxCount is invalid. Expected a value greater than or equal to minCount (%d).", spec.MaxCount, spec.MinCount)
	}
	if spec.AvailabilityZone == "" {
		spec.AvailabilityZone = s.opt.Region + "a"
	}
	if spec.Type == "" {
		// The API's default: "Default: m1.small" (API_RunInstances.html).
		spec.Type = "m1.small"
	}
	// EC2 reports launch times to the second.
	now := s.opt.Now().UTC().Truncate(time.Second)
	res := Reservation{Account: a.ID}
	var launched []*Instance
	replay := false
	fingerprint, err := json.Marshal(spec)
	if err != nil {
		return Reservation{}, err
	}
	err = s.opt.Store.Update(ctx, func(tx kv.Tx) error {
		launched, replay = launched[:0], false
		if spec.ClientToken != "" {
			b, err := tx.Get(tokenKey(a.ID, spec.ClientToken))
			if err == nil {
				var lr launchRecord
				if err := json.Unmarshal(b, &lr); err != nil {
					return fmt.Errorf("ec2: client token record: %w", err)
				}
				if lr.Spec != string(fingerprint) {
					return awserr.New(400, "IdempotentParameterMismatch", "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
				}
				res.ID, replay = lr.Reservation, true
				for _, id := range lr.Instances {
					in, err := getInstance(tx, a.ID, id)
					if err != nil {
						return err
					}
					launched = append(launched, in)
				}
				return nil
			}
			if !errors.Is(err, kv.ErrNotFound) {
				return err
			}
		}
		live, err := s.countLive(tx, a.ID)
		if err != nil {
			return err
		}
		n := min(spec.MaxCount, s.opt.MaxInstances-live)
		if n < spec.MinCount {
			return ec2api.InstanceLimitExceeded("You have requested more instances (%d) than your current instance limit of %d allows for the specified instance type. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.", spec.MinCount, s.opt.MaxInstances)
		}
		rid, err := s.newID("r-")
		if err != nil {
			return err
		}
		res.ID = rid
		for i := 0; i < n; i++ {
			id, err := s.newID("i-")
			if err != nil {
				return err
			}
			in := &Instance{
				ID: id, Account: a.ID, Partition: a.Partition, Region: s.opt.Region, ReservationID: rid,
				ImageID: spec.ImageID, Type: spec.Type, LaunchIndex: i, AvailabilityZone: spec.AvailabilityZone,
				Requester: a.Caller, LaunchTime: now, State: Running, Changed: now,
				Tags: append([]Tag(nil), spec.Tags...), Metadata: spec.Metadata, ClientToken: spec.ClientToken,
			}
			if spec.Profile != nil {
				aid, err := s.newID("iip-assoc-")
				if err != nil {
					return err
				}
				in.Association = &Association{ID: aid, InstanceID: id, Profile: *spec.Profile, State: Associated, Time: now}
				if err := tx.Put(assocKey(a.ID, aid), []byte(id)); err != nil {
					return err
				}
			}
			if err := putInstance(tx, in); err != nil {
				return err
			}
			launched = append(launched, in)
		}
		if spec.ClientToken != "" {
			lr := launchRecord{Reservation: rid, Spec: string(fingerprint)}
			for _, in := range launched {
				lr.Instances = append(lr.Instances, in.ID)
			}
			b, err := json.Marshal(lr)
			if err != nil {
				return err
			}
			if err := tx.Put(tokenKey(a.ID, spec.ClientToken), b); err != nil {
				return err
			}
		}
		return setLive(tx, a.ID, live+n)
	})
	if err != nil {
		return Reservation{}, err
	}
	if replay {
		// The first launch's instances as they are now.
		for _, in := range launched {
			res.Instances = append(res.Instances, *in)
		}
		return res, nil
	}
	s.notify(launched)
	for _, in := range launched {
		v := *in
		v.State = Pending
		res.Instances = append(res.Instances, v)
	}
	return res, nil
}

// liveKey holds the number of the account's instances that are not terminated, so that the
// quota check does not scan every instance the account ever launched.
func liveKey(acct string) string { return "ec2/" + acct + "/live" }

// countLive is the account's number of instances that are not terminated: the counter, or
// on first use a scan that sets it.
func (s *Service) countLive(tx kv.Tx, acct string) (int, error) {
	b, err := tx.Get(liveKey(acct))
	if err == nil {
		return strconv.Atoi(string(b))
	}
	if !errors.Is(err, kv.ErrNotFound) {
		return 0, err
	}
	n, err := s.scanLive(tx, acct)
	if err != nil {
		return 0, err
	}
	return n, setLive(tx, acct, n)
}

func setLive(tx kv.Tx, acct string, n int) error {
	return tx.Put(liveKey(acct), []byte(strconv.Itoa(n)))
}

func (s *Service) scanLive(tx kv.Tx, acct string) (int, error) {
	n, after := 0, ""
	for {
		page, err := tx.List(instancePrefix(acct), after, 500)
		if err != nil {
			return 0, err
		}
		for _, p := range page {
			var in Instance
			if err := json.Unmarshal(p.Value, &in); err != nil {
				return 0, fmt.Errorf("ec2: %s: %w", p.Key, err)
			}
			if in.State != Terminated {
				n++
			}
		}
		if len(page) < 500 {
			return n, nil
		}
		after = page[len(page)-1].Key
	}
}

// Get returns one instance; InvalidInstanceID.NotFound when the account has no such
// visible instance.
func (s *Service) Get(ctx context.Context, account, id string) (Instance, error) {
	var out Instance
	err := s.opt.Store.View(ctx, func(tx kv.Tx) error {
		in, err := getInstance(tx, account, id)
		if err != nil {
			return err
		}
		if !s.visible(in) {
			return errNoInstance(id)
		}
		out = *in
		return nil
	})
	return out, err
}

// All returns every account's instances that are not terminated, for the metadata
// service to open their endpoints at start.
func (s *Service) All(ctx context.Context) ([]Instance, error) {
	var out []Instance
	err := s.opt.Store.View(ctx, func(tx kv.Tx) error {
		out = out[:0]
		after := ""
		for {
			page, err := tx.List("ec2/", after, 500)
			if err != nil {
				return err
			}
			for _, p := range page {
				if !strings.Contains(p.Key[len("ec2/"):], "/i/") {
					continue
				}
				var in Instance
				if err := json.Unmarshal(p.Value, &in); err != nil {
					return fmt.Errorf("ec2: %s: %w", p.Key, err)
				}
				if in.State != Terminated {
					out = append(out, in)
				}
			}
			if len(page) < 500 {
				return nil
			}
			after = page[len(page)-1].Key
		}
	})
	return out, err
}

// transition is one of Start, Stop and Terminate: what the instance moves to (stored),
// what the call reports, and the states it refuses.
type transition struct {
	verb     string // for IncorrectInstanceState's message
	reported func(prev State) State
	stored   State
	allowed  func(prev State) bool
	reason   string
}

var (
	// StartInstances: "pending" from stopped; a running instance reports running/running.
	startT = transition{
		verb:     "started",
		reported: func(p State) State { return keepOr(p, Pending, Running, Pending) },
		stored:   Running,
		allowed:  func(p State) bool { return p == Stopped || p == Running || p == Pending },
	}
	// StopInstances: "stopping" from running; a stopped instance reports stopped/stopped.
	stopT = transition{
		verb:     "stopped",
		reported: func(p State) State { return keepOr(p, Stopping, Stopped, Stopping) },
		stored:   Stopped,
		allowed:  func(p State) bool { return p == Running || p == Pending || p == Stopped || p == Stopping },
		reason:   "User initiated",
	}
	// TerminateInstances: "shutting-down" from any live state; a terminated instance
	// reports terminated/terminated (the call is idempotent).
	terminateT = transition{
		verb:     "terminated",
		reported: func(p State) State { return keepOr(p, ShuttingDown, Terminated) },
		stored:   Terminated,
		allowed:  func(State) bool { return true },
		reason:   "User initiated",
	}
)

// Start starts stopped instances.
func (s *Service) Start(ctx context.Context, a Account, ids []string) ([]StateChange, error) {
	return s.transition(ctx, a, ids, startT)
}

// Stop stops running instances.
func (s *Service) Stop(ctx context.Context, a Account, ids []string) ([]StateChange, error) {
	return s.transition(ctx, a, ids, stopT)
}

// Terminate terminates instances; their instance profile associations end with them.
func (s *Service) Terminate(ctx context.Context, a Account, ids []string) ([]StateChange, error) {
	return s.transition(ctx, a, ids, terminateT)
}

func (s *Service) transition(ctx context.Context, a Account, ids []string, t transition) ([]StateChange, error) {
	if err := CheckInstanceIDs(ids); err != nil {
		return nil, err
	}
	now := s.opt.Now().UTC()
	var out []StateChange
	var changed []*Instance
	err := s.opt.Store.Update(ctx, func(tx kv.Tx) error {
		out, changed = out[:0], changed[:0]
		ended, live := 0, 0
		if t.stored == Terminated {
			// Read before the loop changes states, so a first-use scan counts them live.
			var err error
			if live, err = s.countLive(tx, a.ID); err != nil {
				return err
			}
		}
		var missing []string
		ins := make([]*Instance, 0, len(ids))
		for _, id := range dedupe(ids) {
			in, err := getInstance(tx, a.ID, id)
			if err != nil && !isNotFound(err) {
				return err
			}
			if in == nil || !s.visible(in) {
				missing = append(missing, id)
				continue
			}
			ins = append(ins, in)
		}
		if len(missing) > 0 {
			return errNoInstance(missing...)
		}
		for _, in := range ins {
			if !t.allowed(in.State) {
				return ec2api.IncorrectInstanceState("The instance '%s' is not in a state from which it can be %s.", in.ID, t.verb)
			}
		}
		for _, in := range ins {
			prev := in.State
			out = append(out, StateChange{InstanceID: in.ID, Previous: prev, Current: t.reported(prev)})
			if prev == t.stored {
				continue
			}
			in.State, in.Changed = t.stored, now
			if t.reason != "" {
				in.Reason = fmt.Sprintf("%s (%s)", t.reason, now.Format("2006-01-02 15:04:05 MST"))
			} else {
				in.Reason = ""
			}
			if t.stored == Terminated {
				ended++
			}
			if t.stored == Terminated && in.Association != nil {
				if err := tx.Delete(assocKey(a.ID, in.Association.ID)); err != nil {
					return err
				}
				in.Association = nil
			}
			if err := putInstance(tx, in); err != nil {
				return err
			}
			changed = append(changed, in)
		}
		if ended > 0 {
			return setLive(tx, a.ID, live-ended)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.notify(changed)
	return out, nil
}

// keepOr reports p itself when it is one of keep (the call changes nothing), else to.
func keepOr(p, to State, keep ...State) State {
	for _, k := range keep {
		if p == k {
			return p
		}
	}
	return to
}

var errNotFoundCode = ec2api.InvalidInstanceIDNotFound("")

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// CheckInstanceIDs returns InvalidInstanceID.Malformed for the first ID that is not
// "i-" and 8 or 17 lower-case hex digits (the two ID lengths EC2 has issued).
func CheckInstanceIDs(ids []string) error {
	for _, id := range ids {
		if !validID(id, "i-") {
			return ec2api.InvalidInstanceIDMalformed("Invalid id: \"%s\"", id)
		}
	}
	return nil
}

func validID(id, prefix string) bool {
	if !strings.HasPrefix(id, prefix) {
		return false
	}
	h := id[len(prefix):]
	if len(h) != 8 && len(h) != 17 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ModifyMetadata changes an instance's metadata options; a running or stopped instance
// only, as AWS requires.
func (s *Service) ModifyMetadata(ctx context.Context, a Account, id string, ch MetadataChange) (Instance, error) {
	if err := CheckInstanceIDs([]string{id}); err != nil {
		return Instance{}, err
	}
	if ch.HopLimit != 0 && (ch.HopLimit < 1 || ch.HopLimit > 64) {
		return Instance{}, errHopLimit(ch.HopLimit)
	}
	var out *Instance
	err := s.opt.Store.Update(ctx, func(tx kv.Tx) error {
		in, err := getInstance(tx, a.ID, id)
		if err != nil {
			return err
		}
		if !s.visible(in) {
			return errNoInstance(id)
		}
		if in.State == Terminated || in.State == ShuttingDown {
			return ec2api.IncorrectInstanceState("The instance '%s' is not in a valid state for this operation.", id)
		}
		if ch.Tokens != 0 {
			in.Metadata.Tokens = ch.Tokens
		}
		if ch.HopLimit != 0 {
			in.Metadata.HopLimit = ch.HopLimit
		}
		if ch.Endpoint != 0 {
			in.Metadata.Endpoint = ch.Endpoint
		}
		out = in
		return putInstance(tx, in)
	})
	if err != nil {
		return Instance{}, err
	}
	s.notify([]*Instance{out})
	return *out, nil
}

func errHopLimit(n int) error {
	return ec2api.InvalidParameterValue("Value (%d) for parameter HttpPutResponseHopLimit is invalid. Valid values are 1 to 64.", n)
}

// CheckMetadata fills a launch's metadata options from MetadataOptions as given.
func CheckMetadata(ch MetadataChange) (MetadataOptions, error) {
	m := DefaultMetadata
	if ch.HopLimit != 0 {
		if ch.HopLimit < 1 || ch.HopLimit > 64 {
			return m, errHopLimit(ch.HopLimit)
		}
		m.HopLimit = ch.HopLimit
	}
	if ch.Tokens != 0 {
		m.Tokens = ch.Tokens
	}
	if ch.Endpoint != 0 {
		m.Endpoint = ch.Endpoint
	}
	return m, nil
}
