package ec2

import (
	"context"
	"errors"
	"fmt"

	"gatehouse/internal/awsproto/ec2api"
	"gatehouse/internal/kv"
)

// AssociationQuery is a checked DescribeIamInstanceProfileAssociations request.
type AssociationQuery struct {
	IDs        []string
	Filters    []Filter // instance-id, state
	MaxResults int
	NextToken  string
}

var assocFilters = map[string]func(*Instance) []string{
	"instance-id": func(i *Instance) []string { return []string{i.ID} },
	"state": func(i *Instance) []string {
		if i.Association == nil {
			return nil
		}
		return []string{i.Association.State.String()}
	},
}

func errNoAssociation(id string) error {
	return ec2api.InvalidAssociationIDNotFound("The association ID '%s' does not exist", id)
}

// AssociationInstance returns the instance an association belongs to, for the edge to
// authorize Disassociate and Replace on the instance's ARN.
func (s *Service) AssociationInstance(ctx context.Context, a Account, assocID string) (Instance, error) {
	var out Instance
	err := s.opt.Store.View(ctx, func(tx kv.Tx) error {
		in, err := s.assocInstance(tx, a.ID, assocID)
		if err != nil {
			return err
		}
		out = *in
		return nil
	})
	return out, err
}

func (s *Service) assocInstance(tx kv.Tx, acct, assocID string) (*Instance, error) {
	b, err := tx.Get(assocKey(acct, assocID))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, errNoAssociation(assocID)
	}
	if err != nil {
		return nil, err
	}
	in, err := getInstance(tx, acct, string(b))
	if err != nil {
		return nil, err
	}
	if in.Association == nil || in.Association.ID != assocID {
		return nil, errNoAssociation(assocID)
	}
	return in, nil
}

// Associate gives a running or stopped instance that has none an instance profile
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateIamInstanceProfile.html).
// The association is reported "associating", as AWS reports it; it is in force at once.
func (s *Service) Associate(ctx context.Context, a Account, instanceID string, p Profile) (Association, error) {
	if err := CheckInstanceIDs([]string{instanceID}); err != nil {
		return Association{}, err
	}
	var out *Instance
	err := s.opt.Store.Update(ctx, func(tx kv.Tx) error {
		in, err := getInstance(tx, a.ID, instanceID)
		if err != nil {
			return err
		}
		if !s.visible(in) {
			return errNoInstance(instanceID)
		}
		if in.State != Running && in.State != Stopped && in.State != Pending {
			return ec2api.IncorrectInstanceState("The instance '%s' is not in the 'running' or 'stopped' states.", instanceID)
		}
		if in.Association != nil {
			return ec2api.IncorrectState("There is an existing association for instance %s", instanceID)
		}
		id, err := s.newID("iip-assoc-")
		if err != nil {
			return err
		}
		in.Association = &Association{ID: id, InstanceID: in.ID, Profile: p, State: Associated, Time: s.opt.Now().UTC()}
		if err := tx.Put(assocKey(a.ID, id), []byte(in.ID)); err != nil {
			return err
		}
		out = in
		return putInstance(tx, in)
	})
	if err != nil {
		return Association{}, err
	}
	s.notify([]*Instance{out})
	r := *out.Association
	r.State = Associating
	return r, nil
}

// Disassociate removes an instance's profile; reported "disassociating".
func (s *Service) Disassociate(ctx context.Context, a Account, assocID string) (Association, error) {
	var out *Instance
	var old Association
	err := s.opt.Store.Update(ctx, func(tx kv.Tx) error {
		in, err := s.assocInstance(tx, a.ID, assocID)
		if err != nil {
			return err
		}
		old = *in.Association
		in.Association = nil
		if err := tx.Delete(assocKey(a.ID, assocID)); err != nil {
			return err
		}
		out = in
		return putInstance(tx, in)
	})
	if err != nil {
		return Association{}, err
	}
	s.notify([]*Instance{out})
	old.State = Disassociating
	return old, nil
}

// Replace puts another instance profile in an association's place: the old association
// ends and a new one, with a new ID, begins
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceIamInstanceProfileAssociation.html).
func (s *Service) Replace(ctx context.Context, a Account, assocID string, p Profile) (Association, error) {
	var out *Instance
	err := s.opt.Store.Update(ctx, func(tx kv.Tx) error {
		in, err := s.assocInstance(tx, a.ID, assocID)
		if err != nil {
			return err
		}
		if in.Association.State != Associated {
			return ec2api.IncorrectState("Association '%s' is not in the associated state", assocID)
		}
		id, err := s.newID("iip-assoc-")
		if err != nil {
			return err
		}
		if err := tx.Delete(assocKey(a.ID, assocID)); err != nil {
			return err
		}
		if err := tx.Put(assocKey(a.ID, id), []byte(in.ID)); err != nil {
			return err
		}
		in.Association = &Association{ID: id, InstanceID: in.ID, Profile: p, State: Associated, Time: s.opt.Now().UTC()}
		out = in
		return putInstance(tx, in)
	})
	if err != nil {
		return Association{}, err
	}
	s.notify([]*Instance{out})
	r := *out.Association
	r.State = Associating
	return r, nil
}

// DescribeAssociations lists the account's associations, ordered by association ID.
func (s *Service) DescribeAssociations(ctx context.Context, a Account, q AssociationQuery) ([]Association, string, error) {
	if err := checkMaxResults(q.MaxResults, len(q.IDs), "associationIds"); err != nil {
		return nil, "", err
	}
	fs, err := compileFilters(q.Filters, assocFilters)
	if err != nil {
		return nil, "", err
	}
	after := ""
	if q.NextToken != "" {
		if after, err = decodeToken("a", q.NextToken); err != nil {
			return nil, "", err
		}
	}
	var out []Association
	next := ""
	err = s.opt.Store.View(ctx, func(tx kv.Tx) error {
		out, next = out[:0], ""
		if len(q.IDs) > 0 {
			for _, id := range dedupe(q.IDs) {
				in, err := s.assocInstance(tx, a.ID, id)
				if err != nil {
					return err
				}
				if matchAll(fs, in) {
					out = append(out, *in.Association)
				}
			}
			return nil
		}
		key := ""
		if after != "" {
			key = assocKey(a.ID, after)
		}
		for {
			page, err := tx.List(assocPrefix(a.ID), key, 500)
			if err != nil {
				return err
			}
			for _, p := range page {
				in, err := getInstance(tx, a.ID, string(p.Value))
				if err != nil {
					return fmt.Errorf("ec2: association %s: %w", p.Key, err)
				}
				if in.Association == nil || !matchAll(fs, in) {
					continue
				}
				if q.MaxResults > 0 && len(out) == q.MaxResults {
					next = encodeToken("a", out[len(out)-1].ID)
					return nil
				}
				out = append(out, *in.Association)
			}
			if len(page) < 500 {
				return nil
			}
			key = page[len(page)-1].Key
		}
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}
