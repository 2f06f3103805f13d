package authz_test

import (
	"fmt"

	"gatehouse/internal/authz"
	"gatehouse/internal/policy"
)

// The server's path: compile documents once (a Cache shares a managed policy between
// principals), index a principal's policies once, then decide requests with a reused
// Result.
func ExampleEvaluate() {
	cache := policy.NewCache()
	inline, err := cache.Lenient([]byte(`{"Version":"2012-10-17","Statement":[
		{"Sid":"VisualEditor0","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::my_bucket"}]}`))
	if err != nil {
		panic(err)
	}
	ec2, _ := cache.Lenient([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`))

	set := authz.NewSet(authz.PrincipalPolicies{Identity: []authz.Attached{
		{Label: "user/alice inline", Policy: inline},
		{Label: "arn:aws:iam::aws:policy/AmazonEC2FullAccess", Policy: ec2},
	}})
	alice, _ := authz.ParsePrincipal("arn:aws:iam::111122223333:user/alice")
	ctx := authz.NewContext(&alice, map[string]string{"team": "blue"})
	ctx.Set("aws:SourceIp", "203.0.113.5")

	var res authz.Result
	for _, r := range []string{"arn:aws:s3:::my_bucket", "arn:aws:s3:::my_bucket/photo.jpg"} {
		authz.Evaluate(&authz.Request{Principal: &alice, Action: "s3:GetObject", Resource: r, Context: ctx, Policies: set}, &res)
		fmt.Println(res.Decision, res.DeniedBy, len(res.Matched))
		if res.Decision != authz.Allowed {
			fmt.Println(res.Message())
		}
	}
	// Output:
	// allowed  1
	// implicitDeny identity 0
	// User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::my_bucket/photo.jpg because no identity-based policy allows the s3:GetObject action
}
