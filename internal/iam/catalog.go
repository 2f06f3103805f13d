package iam

import (
	"sync"

	"gatehouse/internal/catalog"
)

// CatalogPolicies is the ManagedPolicySource of the 1,485 AWS managed policies embedded in
// internal/catalog; it is the default when Options.ManagedPolicies is nil.
func CatalogPolicies() ManagedPolicySource { return catalogSource{} }

type catalogSource struct{}

var catalogPolicies = sync.OnceValue(func() []ManagedPolicy {
	ps := catalog.ManagedPolicies()
	out := make([]ManagedPolicy, len(ps))
	for i, p := range ps {
		out[i] = fromCatalog(p)
	}
	return out
})

func fromCatalog(p catalog.ManagedPolicy) ManagedPolicy {
	return ManagedPolicy{Name: p.Name, Path: p.Path, ARN: p.ARN, PolicyID: p.PolicyID, DefaultVersionID: p.DefaultVersionID,
		CreateDate: p.CreateDate, UpdateDate: p.UpdateDate, Document: p.Document}
}

func (catalogSource) ManagedPolicies() []ManagedPolicy { return catalogPolicies() }

func (catalogSource) ManagedPolicy(name string) (ManagedPolicy, bool) {
	p, ok := catalog.LookupManagedPolicy(name)
	if !ok {
		return ManagedPolicy{}, false
	}
	return fromCatalog(p), true
}
