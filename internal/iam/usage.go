package iam

import (
	"context"
	"sync"
	"time"

	"gatehouse/internal/kv"
)

// Access-key "last used" is kept off the request path: RecordAccessKeyUse only notes the use
// in memory (one map write under a mutex), and FlushAccessKeyUse writes every noted use in one
// transaction. The server calls FlushAccessKeyUse on a timer (every few seconds) and at
// shutdown. IAM itself reports last use with delay and at coarse granularity ("last used
// information is updated within four hours", per GetAccessKeyLastUsed's user-guide notes),
// so a flush interval of seconds loses nothing a client can observe except across a crash.
// GetAccessKeyLastUsed on this node merges the unflushed uses, so its own answers are current.
// A flush writes a key's use only when it is a minute newer than the stored one or names
// another service or region (lastUseGranularity), so a busy key costs at most one write a
// minute, and such writes never bump the account's generation (no cache is invalidated).

// lastUseGranularity bounds how often one key's (or role's) last use is written: a use
// within this long after the stored one, for the same service and region, is not written
// again, so a busy key costs one write a minute, not one per flush.
const lastUseGranularity = time.Minute

// stale reports whether a noted use should replace the stored one.
func stale(stored *time.Time, storedService, storedRegion string, u keyUse) bool {
	if stored == nil {
		return true
	}
	if !u.Time.After(*stored) {
		return false
	}
	return u.Time.Sub(*stored) >= lastUseGranularity || storedService != u.Service || storedRegion != u.Region
}

type keyUse struct {
	Service, Region string
	Time            time.Time
}

type usageBuffer struct {
	mu      sync.Mutex
	pending map[string]keyUse // access key ID → latest use
	roles   map[string]keyUse // role ARN → latest use (Service unused)
	signins map[string]keyUse // user ARN → latest console sign-in (Time only)
}

// RecordRoleUse notes that the role at roleARN was assumed in region at t, for GetRole's
// RoleLastUsed (https://docs.aws.amazon.com/IAM/latest/APIReference/API_RoleLastUsed.html).
// Like RecordAccessKeyUse it does no I/O; FlushAccessKeyUse writes it.
func (s *Service) RecordRoleUse(roleARN, region string, t time.Time) {
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	if s.usage.roles == nil {
		s.usage.roles = map[string]keyUse{}
	}
	if prev, ok := s.usage.roles[roleARN]; ok && prev.Time.After(t) {
		return
	}
	s.usage.roles[roleARN] = keyUse{Region: region, Time: t.UTC().Truncate(time.Second)}
}

// RecordAccessKeyUse notes that access key id signed a request for service in region at t.
// It does no I/O.
func (s *Service) RecordAccessKeyUse(id, service, region string, t time.Time) {
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	if s.usage.pending == nil {
		s.usage.pending = map[string]keyUse{}
	}
	if prev, ok := s.usage.pending[id]; ok && prev.Time.After(t) {
		return
	}
	s.usage.pending[id] = keyUse{Service: service, Region: region, Time: t.UTC().Truncate(time.Second)}
}

// noteSignIn records a successful console sign-in for PasswordLastUsed; no I/O.
func (s *Service) noteSignIn(userARN string, t time.Time) {
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	if s.usage.signins == nil {
		s.usage.signins = map[string]keyUse{}
	}
	s.usage.signins[userARN] = keyUse{Time: t.UTC().Truncate(time.Second)}
}

// pendingUse returns the unflushed use of a key, if any.
func (s *Service) pendingUse(id string) (keyUse, bool) {
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	u, ok := s.usage.pending[id]
	return u, ok
}

// FlushAccessKeyUse writes the noted uses of access keys and roles, and users' console
// sign-ins (PasswordLastUsed), in one transaction (and, before it, the service accesses
// RecordServiceAccess noted). Uses
// of keys or roles deleted meanwhile are dropped. On error the uses are kept for the next
// flush.
func (s *Service) FlushAccessKeyUse(ctx context.Context) error {
	if err := s.flushServiceAccess(ctx); err != nil {
		return err
	}
	s.usage.mu.Lock()
	batch, roles, signins := s.usage.pending, s.usage.roles, s.usage.signins
	s.usage.pending, s.usage.roles, s.usage.signins = nil, nil, nil
	s.usage.mu.Unlock()
	if len(batch) == 0 && len(roles) == 0 && len(signins) == 0 {
		return nil
	}
	err := s.opt.Store.Update(ctx, func(tx kv.Tx) error {
		for arn, u := range signins {
			p, ok := parseIAMARN(arn)
			if !ok || p.Resource != "user" {
				continue
			}
			key := keysFor(p.Account).entity(kindUser, p.Name)
			var rec userRecord
			found, err := getJSON(tx, key, &rec)
			if err != nil {
				return err
			}
			if !found || !stale(rec.PasswordLastUsed, "", "", u) {
				continue
			}
			t := u.Time
			rec.PasswordLastUsed = &t
			if err := putJSON(tx, key, rec); err != nil {
				return err
			}
		}
		for arn, u := range roles {
			p, ok := parseIAMARN(arn)
			if !ok || p.Resource != "role" {
				continue
			}
			key := keysFor(p.Account).entity(kindRole, p.Name)
			var r roleRecord
			found, err := getJSON(tx, key, &r)
			if err != nil {
				return err
			}
			if !found || !stale(r.LastUsed, "", r.LastUsedRegion, u) {
				continue
			}
			t := u.Time
			r.LastUsed, r.LastUsedRegion = &t, u.Region
			if err := putJSON(tx, key, r); err != nil {
				return err
			}
		}
		for id, u := range batch {
			var rec accessKeyRecord
			found, err := getJSON(tx, accessKeyKey(id), &rec)
			if err != nil {
				return err
			}
			if !found || !stale(rec.LastUsed, rec.LastService, rec.LastRegion, u) {
				continue
			}
			t := u.Time
			rec.LastUsed, rec.LastService, rec.LastRegion = &t, u.Service, u.Region
			if err := putJSON(tx, accessKeyKey(id), rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.usage.mu.Lock()
		for arn, u := range signins {
			if cur, ok := s.usage.signins[arn]; !ok || cur.Time.Before(u.Time) {
				if s.usage.signins == nil {
					s.usage.signins = map[string]keyUse{}
				}
				s.usage.signins[arn] = u
			}
		}
		for arn, u := range roles {
			if cur, ok := s.usage.roles[arn]; !ok || cur.Time.Before(u.Time) {
				if s.usage.roles == nil {
					s.usage.roles = map[string]keyUse{}
				}
				s.usage.roles[arn] = u
			}
		}
		for id, u := range batch {
			if cur, ok := s.usage.pending[id]; !ok || cur.Time.Before(u.Time) {
				if s.usage.pending == nil {
					s.usage.pending = map[string]keyUse{}
				}
				s.usage.pending[id] = u
			}
		}
		s.usage.mu.Unlock()
	}
	return err
}
