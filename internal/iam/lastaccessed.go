package iam

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"gatehouse/internal/awsproto/iamapi"
	"gatehouse/internal/catalog"
	"gatehouse/internal/kv"
	"gatehouse/internal/policy"
)

// Service last accessed data ("access advisor",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html), from
// the requests the server actually authorized. The edge calls RecordServiceAccess after
// every allowed request of a user or role (no I/O: one map write), FlushAccessKeyUse writes
// the notes, and GenerateServiceLastAccessedDetails builds a report for a user, group, role
// or managed policy: every service its policies allow (accessed or not, as AWS lists them),
// with the last access by the entities in scope — the user or role itself, a group's
// members, or every user (directly or through a group) and role a policy is attached to.
//
// Keys (added to the layout of keys.go):
//
//	a/<acct>/access/<uniqueid>/<service>    serviceAccessRecord: a user's or role's last access to a
//	                                        service, by unique ID: a renamed entity keeps its
//	                                        history and a recreated one starts afresh
//	a/<acct>/access-job/<jobid>             accessJobRecord: a generated report

func (k keys) access(entityID, service string) string {
	return k.base() + "access/" + entityID + "/" + service
}
func (k keys) accessJob(id string) string { return k.base() + "access-job/" + id }

type accessNoteKey struct {
	account string
	kind    entityKind
	name    string // as in the ARN
	service string // lower-case namespace
	action  string // the action's name, as the request named it
}

type accessNote struct {
	region string
	t      time.Time
}

type accessBuffer struct {
	mu sync.Mutex
	m  map[accessNoteKey]accessNote
}

type actionAccess struct {
	Time   time.Time `json:"t"`
	Region string    `json:"r"`
}

type serviceAccessRecord struct {
	EntityID string                  `json:"id"` // the user's or role's unique ID: a recreated entity starts afresh
	Time     time.Time               `json:"t"`
	Region   string                  `json:"r"`
	Actions  map[string]actionAccess `json:"actions,omitempty"`
}

// RecordServiceAccess notes that principalARN (a user, a role, or a role's session) was
// allowed action (e.g. "s3:GetObject") of service in region at t. It does no I/O;
// FlushAccessKeyUse writes it. Other principals (root, federated users) are ignored, as
// IAM reports last access for users and roles only.
func (s *Service) RecordServiceAccess(account, principalARN, service, action, region string, t time.Time) {
	kind, name, ok := accessEntityOf(principalARN)
	if !ok {
		return
	}
	if i := strings.IndexByte(action, ':'); i >= 0 {
		action = action[i+1:]
	}
	if strings.ContainsFunc(service, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
		service = strings.ToLower(service)
	}
	k := accessNoteKey{account: account, kind: kind, name: name, service: service, action: action}
	t = t.UTC().Truncate(time.Second)
	s.access.mu.Lock()
	defer s.access.mu.Unlock()
	if s.access.m == nil {
		s.access.m = map[accessNoteKey]accessNote{}
	}
	if prev, ok := s.access.m[k]; ok && prev.t.After(t) {
		return
	}
	s.access.m[k] = accessNote{region: region, t: t}
}

// accessEntityOf reads, without allocating, the user or role a principal ARN names:
// arn:P:iam::A:user/PATH/NAME, arn:P:iam::A:role/PATH/NAME or a session
// arn:P:sts::A:assumed-role/ROLE/SESSION. Anything else is not tracked.
func accessEntityOf(arn string) (entityKind, string, bool) {
	res := arn
	for range 5 {
		i := strings.IndexByte(res, ':')
		if i < 0 {
			return "", "", false
		}
		res = res[i+1:]
	}
	var kind entityKind
	switch {
	case strings.HasPrefix(res, "user/"):
		kind = kindUser
	case strings.HasPrefix(res, "role/"):
		kind = kindRole
	case strings.HasPrefix(res, "assumed-role/"):
		role, _, ok := strings.Cut(res[len("assumed-role/"):], "/")
		return kindRole, role, ok && role != ""
	default:
		return "", "", false
	}
	name := res[strings.LastIndexByte(res, '/')+1:]
	return kind, name, name != ""
}

// flushServiceAccess writes the noted accesses in one transaction; on error they are kept.
func (s *Service) flushServiceAccess(ctx context.Context) error {
	s.access.mu.Lock()
	batch := s.access.m
	s.access.m = nil
	s.access.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := s.opt.Store.Update(ctx, func(tx kv.Tx) error {
		ids := map[string]string{} // entity key → unique ID ("" = gone)
		for n, u := range batch {
			k := keysFor(n.account)
			ek := k.entity(n.kind, n.name)
			id, seen := ids[ek]
			if !seen {
				var rec struct {
					ID string `json:"id"`
				}
				found, err := getJSON(tx, ek, &rec)
				if err != nil {
					return err
				}
				if found {
					id = rec.ID
				}
				ids[ek] = id
			}
			if id == "" {
				continue
			}
			key := k.access(id, n.service)
			var rec serviceAccessRecord
			if _, err := getJSON(tx, key, &rec); err != nil {
				return err
			}
			if rec.EntityID != id {
				rec = serviceAccessRecord{EntityID: id}
			}
			if u.t.After(rec.Time) || rec.Time.IsZero() {
				rec.Time, rec.Region = u.t, u.region
			}
			if rec.Actions == nil {
				rec.Actions = map[string]actionAccess{}
			}
			if a, ok := rec.Actions[n.action]; !ok || u.t.After(a.Time) {
				rec.Actions[n.action] = actionAccess{Time: u.t, Region: u.region}
			}
			if err := putJSON(tx, key, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.access.mu.Lock()
		if s.access.m == nil {
			s.access.m = map[accessNoteKey]accessNote{}
		}
		for k, u := range batch {
			if cur, ok := s.access.m[k]; !ok || cur.t.Before(u.t) {
				s.access.m[k] = u
			}
		}
		s.access.mu.Unlock()
	}
	return err
}

// accessEntity is a user or role in a report's scope.
type accessEntity struct {
	Kind entityKind `json:"kind"`
	Name string     `json:"name"`
	Path string     `json:"path"`
	ID   string     `json:"id"`
	ARN  string     `json:"arn"`
}

type accessJobEntity struct {
	Entity accessEntity `json:"e"`
	Last   *time.Time   `json:"last,omitempty"`
}

type accessJobAction struct {
	Name   string     `json:"name"`
	Entity string     `json:"entity,omitempty"`
	Time   *time.Time `json:"t,omitempty"`
	Region string     `json:"r,omitempty"`
}

type accessJobService struct {
	Namespace string            `json:"ns"`
	Name      string            `json:"name"`
	Last      *time.Time        `json:"last,omitempty"`
	Entity    string            `json:"entity,omitempty"`
	Region    string            `json:"region,omitempty"`
	Total     int               `json:"total"`
	Actions   []accessJobAction `json:"actions,omitempty"`
	Entities  []accessJobEntity `json:"entities"`
}

type accessJobRecord struct {
	ARN         string                                   `json:"arn"`
	Granularity iamapi.AccessAdvisorUsageGranularityType `json:"granularity"`
	Created     time.Time                                `json:"created"`
	Completed   time.Time                                `json:"completed"`
	Services    []accessJobService                       `json:"services"`
}

func accessJobNotFound(id string) error {
	return noSuchEntity("No job found with the JobId %s.", id)
}

// GenerateServiceLastAccessedDetails builds the report at once; the job is COMPLETED when
// its ID is returned.
func (s *Service) GenerateServiceLastAccessedDetails(ctx context.Context, a Account, in *iamapi.GenerateServiceLastAccessedDetailsInput) (*iamapi.GenerateServiceLastAccessedDetailsOutput, error) {
	arn := str(in.Arn)
	gran := in.Granularity
	if gran == "" {
		gran = iamapi.AccessAdvisorUsageGranularityTypeSERVICELEVEL
	}
	id, err := newJobID(s.opt.Rand)
	if err != nil {
		return nil, err
	}
	// What this node noted and has not flushed yet counts: write it first.
	if err := s.flushServiceAccess(ctx); err != nil {
		return nil, err
	}
	err = s.update(ctx, a, "GenerateServiceLastAccessedDetails", func() string { return arn }, func(t *txn) error {
		docs, scope, err := s.accessScope(t.tx, a, arn)
		if err != nil {
			return err
		}
		services, err := s.accessServices(t.tx, a, docs, scope, gran == iamapi.AccessAdvisorUsageGranularityTypeACTIONLEVEL)
		if err != nil {
			return err
		}
		return putJSON(t.tx, t.k.accessJob(id), accessJobRecord{ARN: arn, Granularity: gran, Created: t.now, Completed: t.now, Services: services})
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GenerateServiceLastAccessedDetailsOutput{JobId: ptr(id)}, nil
}

// newJobID is a random UUID (version 4), the form of IAM's job IDs.
func newJobID(r interface{ Read([]byte) (int, error) }) (string, error) {
	b := make([]byte, 16)
	if _, err := r.Read(b); err != nil {
		return "", fmt.Errorf("iam: random: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// accessScope resolves a report's ARN to the policy documents that decide which services it
// lists and the users and roles whose accesses count.
func (s *Service) accessScope(tx kv.Tx, a Account, arn string) (docs []string, scope []accessEntity, err error) {
	k := keysFor(a.ID)
	p, ok := parseIAMARN(arn)
	if !ok || p.Name == "" {
		return nil, nil, invalidInput("ARN %s is not valid.", arn)
	}
	var held []SourcedPolicy
	addUser := func(name string) error {
		var u userRecord
		found, err := getJSON(tx, k.entity(kindUser, name), &u)
		if err != nil || !found {
			return err
		}
		for _, e := range scope {
			if e.ID == u.ID {
				return nil
			}
		}
		scope = append(scope, accessEntity{Kind: kindUser, Name: u.Name, Path: u.Path, ID: u.ID, ARN: a.arn(kindUser, u.Path, u.Name)})
		return nil
	}
	addRole := func(name string) error {
		var r roleRecord
		found, err := getJSON(tx, k.entity(kindRole, name), &r)
		if err != nil || !found {
			return err
		}
		scope = append(scope, accessEntity{Kind: kindRole, Name: r.Name, Path: r.Path, ID: r.ID, ARN: a.arn(kindRole, r.Path, r.Name)})
		return nil
	}
	addMembers := func(group string) error {
		ms, err := listAll(tx, k.groupUserPrefix(group))
		if err != nil {
			return err
		}
		for _, m := range ms {
			if err := addUser(m.Key[len(k.groupUserPrefix(group)):]); err != nil {
				return err
			}
		}
		return nil
	}
	switch {
	case p.Resource == "policy":
		ref, ok := refFromARN(a, arn)
		if !ok {
			return nil, nil, policyNotFound(arn)
		}
		mp, found, err := s.managedPolicy(tx, a, ref)
		if err != nil {
			return nil, nil, err
		}
		if !found {
			return nil, nil, policyNotFound(arn)
		}
		docs = []string{mp.Document}
		prefix := k.policyEntityPrefix(ref)
		ps, err := listAll(tx, prefix)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range ps {
			kind, name, ok := cutKindName(e.Key[len(prefix):])
			if !ok {
				continue
			}
			switch kind {
			case kindUser:
				err = addUser(name)
			case kindGroup:
				err = addMembers(name)
			case kindRole:
				err = addRole(name)
			}
			if err != nil {
				return nil, nil, err
			}
		}
		return docs, scope, nil
	case p.Account != a.ID:
		return nil, nil, invalidInput("ARN %s is not valid.", arn)
	case p.Resource == "user":
		u, err := getUser(tx, k, p.Name)
		if err != nil {
			return nil, nil, err
		}
		var ps PolicySet
		if err := s.userPolicySet(tx, a, parsedARN{Account: a.ID, Resource: "user", Path: u.Path, Name: u.Name}, &ps); err != nil {
			return nil, nil, err
		}
		held = ps.Policies
		err = addUser(u.Name)
		if err != nil {
			return nil, nil, err
		}
	case p.Resource == "role":
		var r roleRecord
		found, err := getJSON(tx, k.entity(kindRole, p.Name), &r)
		if err != nil {
			return nil, nil, err
		}
		if !found {
			return nil, nil, noSuchEntity("The role with name %s cannot be found.", p.Name)
		}
		if err := s.appendHeld(tx, a, kindRole, r.Name, arn, SourceRoleInline, &held); err != nil {
			return nil, nil, err
		}
		if err := addRole(r.Name); err != nil {
			return nil, nil, err
		}
	case p.Resource == "group":
		var g groupRecord
		found, err := getJSON(tx, k.entity(kindGroup, p.Name), &g)
		if err != nil {
			return nil, nil, err
		}
		if !found {
			return nil, nil, noSuchEntity("The group with name %s cannot be found.", p.Name)
		}
		if err := s.appendHeld(tx, a, kindGroup, g.Name, arn, SourceGroupInline, &held); err != nil {
			return nil, nil, err
		}
		if err := addMembers(g.Name); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, invalidInput("ARN %s is not valid.", arn)
	}
	for _, h := range held {
		docs = append(docs, h.Document)
	}
	return docs, scope, nil
}

// grantedServices returns the namespaces of every service an Allow statement of the
// documents names in Action (or does not exclude with NotAction), sorted.
func grantedServices(docs []string) []string {
	set := map[string]bool{}
	for _, d := range docs {
		doc, err := policy.ParseLenient([]byte(d))
		if err != nil {
			continue
		}
		for _, st := range doc.Statements {
			if st.Effect != policy.Allow {
				continue
			}
			if st.NotAction {
				excluded := map[string]bool{}
				for _, a := range st.Action {
					for _, act := range catalog.MatchActions(a) {
						excluded[act.String()] = true
					}
				}
				for _, svc := range catalog.Services() {
					for _, act := range svc.Actions {
						if !excluded[act.String()] {
							set[svc.Prefix] = true
							break
						}
					}
				}
				continue
			}
			for _, a := range st.Action {
				for _, act := range catalog.MatchActions(a) {
					set[act.Service.Prefix] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func (s *Service) accessServices(tx kv.Tx, a Account, docs []string, scope []accessEntity, actionLevel bool) ([]accessJobService, error) {
	k := keysFor(a.ID)
	var out []accessJobService
	for _, ns := range grantedServices(docs) {
		svc := accessJobService{Namespace: ns, Name: ns, Entities: []accessJobEntity{}}
		if c, ok := catalog.LookupService(ns); ok {
			svc.Name = c.Name
		}
		actions := map[string]*accessJobAction{}
		for _, e := range scope {
			var rec serviceAccessRecord
			found, err := getJSON(tx, k.access(e.ID, ns), &rec)
			if err != nil {
				return nil, err
			}
			je := accessJobEntity{Entity: e}
			if found && rec.EntityID == e.ID {
				t := rec.Time
				je.Last = &t
				svc.Total++
				if svc.Last == nil || t.After(*svc.Last) {
					svc.Last, svc.Entity, svc.Region = &t, e.ARN, rec.Region
				}
				if actionLevel {
					for name, aa := range rec.Actions {
						cur := actions[name]
						if cur == nil || aa.Time.After(*cur.Time) {
							t := aa.Time
							actions[name] = &accessJobAction{Name: name, Entity: e.ARN, Time: &t, Region: aa.Region}
						}
					}
				}
			}
			svc.Entities = append(svc.Entities, je)
		}
		for _, act := range actions {
			svc.Actions = append(svc.Actions, *act)
		}
		slices.SortFunc(svc.Actions, func(x, y accessJobAction) int { return strings.Compare(x.Name, y.Name) })
		out = append(out, svc)
	}
	return out, nil
}

func (s *Service) accessJob(ctx context.Context, a Account, id string) (accessJobRecord, error) {
	var job accessJobRecord
	err := s.view(ctx, func(tx kv.Tx) error {
		found, err := getJSON(tx, keysFor(a.ID).accessJob(id), &job)
		if err == nil && !found {
			err = accessJobNotFound(id)
		}
		return err
	})
	return job, err
}

func (s *Service) GetServiceLastAccessedDetails(ctx context.Context, a Account, in *iamapi.GetServiceLastAccessedDetailsInput) (*iamapi.GetServiceLastAccessedDetailsOutput, error) {
	k := keysFor(a.ID)
	pg, err := newPager("GetServiceLastAccessedDetails", k.base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	job, err := s.accessJob(ctx, a, str(in.JobId))
	if err != nil {
		return nil, err
	}
	out := &iamapi.GetServiceLastAccessedDetailsOutput{JobStatus: iamapi.JobStatusTypeCOMPLETED, JobType: job.Granularity,
		JobCreationDate: job.Created, JobCompletionDate: job.Completed, ServicesLastAccessed: []iamapi.ServiceLastAccessed{}}
	start, end, tr, next := pg.window(len(job.Services), func(i int) string { return k.base() + "svc/" + job.Services[i].Namespace })
	for _, svc := range job.Services[start:end] {
		o := iamapi.ServiceLastAccessed{ServiceName: svc.Name, ServiceNamespace: svc.Namespace, TotalAuthenticatedEntities: ptr(int32(svc.Total))}
		if svc.Last != nil {
			o.LastAuthenticated, o.LastAuthenticatedEntity, o.LastAuthenticatedRegion = svc.Last, ptr(svc.Entity), ptr(svc.Region)
		}
		if job.Granularity == iamapi.AccessAdvisorUsageGranularityTypeACTIONLEVEL {
			o.TrackedActionsLastAccessed = []iamapi.TrackedActionLastAccessed{}
			for _, act := range svc.Actions {
				o.TrackedActionsLastAccessed = append(o.TrackedActionsLastAccessed, iamapi.TrackedActionLastAccessed{
					ActionName: ptr(act.Name), LastAccessedEntity: ptr(act.Entity), LastAccessedTime: act.Time, LastAccessedRegion: ptr(act.Region)})
			}
		}
		out.ServicesLastAccessed = append(out.ServicesLastAccessed, o)
	}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}

func (s *Service) GetServiceLastAccessedDetailsWithEntities(ctx context.Context, a Account, in *iamapi.GetServiceLastAccessedDetailsWithEntitiesInput) (*iamapi.GetServiceLastAccessedDetailsWithEntitiesOutput, error) {
	k := keysFor(a.ID)
	pg, err := newPager("GetServiceLastAccessedDetailsWithEntities", k.base(), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	job, err := s.accessJob(ctx, a, str(in.JobId))
	if err != nil {
		return nil, err
	}
	ns := strings.ToLower(str(in.ServiceNamespace))
	i := slices.IndexFunc(job.Services, func(svc accessJobService) bool { return svc.Namespace == ns })
	if i < 0 {
		return nil, invalidInput("The service namespace %s is not valid for the job %s.", str(in.ServiceNamespace), str(in.JobId))
	}
	ents := job.Services[i].Entities
	out := &iamapi.GetServiceLastAccessedDetailsWithEntitiesOutput{JobStatus: iamapi.JobStatusTypeCOMPLETED,
		JobCreationDate: job.Created, JobCompletionDate: job.Completed, EntityDetailsList: []iamapi.EntityDetails{}}
	start, end, tr, next := pg.window(len(ents), func(i int) string { return k.base() + "ent/" + zeroPad(i) })
	for _, e := range ents[start:end] {
		typ := iamapi.PolicyOwnerEntityTypeUSER
		if e.Entity.Kind == kindRole {
			typ = iamapi.PolicyOwnerEntityTypeROLE
		}
		out.EntityDetailsList = append(out.EntityDetailsList, iamapi.EntityDetails{LastAuthenticated: e.Last,
			EntityInfo: iamapi.EntityInfo{Arn: e.Entity.ARN, Name: e.Entity.Name, Type: typ, Id: e.Entity.ID, Path: ptr(e.Entity.Path)}})
	}
	out.IsTruncated, out.Marker = markerOut(tr, next)
	return out, nil
}
