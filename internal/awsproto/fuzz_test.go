package awsproto_test

import (
	"net/url"
	"testing"

	"gatehouse/internal/awserr"
	"gatehouse/internal/awsproto"
)

// fuzzDecode feeds an arbitrary form body to a service's DecodeRequest: it must never
// panic, every failure must be an *awserr.Error, and whatever decodes must encode back to
// well-formed XML (the input struct run through the output encoder exercises every type
// the decoder can produce).
func fuzzDecode(t *testing.T, svc *awsproto.Service, body string) {
	params, err := url.ParseQuery(body)
	if err != nil && len(params) == 0 {
		return
	}
	op, in, err := svc.DecodeRequest(params)
	if err != nil {
		if _, ok := awserr.As(err); !ok {
			t.Fatalf("non-wire error %T %v for %q", err, err, body)
		}
		return
	}
	wellFormed(t, svc.AppendResponse(nil, op, in, "id"))
}

func FuzzDecodeQuery(f *testing.F) {
	for _, s := range []string{
		"Action=CreateUser&Version=2010-05-08&UserName=alice&Tags.member.1.Key=a&Tags.member.1.Value=b",
		"Action=ListUsers&MaxItems=5&Marker=abc&PathPrefix=%2F",
		"Action=GetAccountAuthorizationDetails&Filter.member.1=User&Filter.member.99999999999=Role",
		"Action=SimulatePrincipalPolicy&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A1%3Auser%2Fa&ActionNames.member.1=s3%3A*&ContextEntries.member.1.ContextKeyValues.member.1=x",
		"Action=AssumeRole&RoleArn=arn&RoleSessionName=s&PolicyArns.member.1.arn=a&Tags.member.1.Key=k&DurationSeconds=-1",
		"Action=TagUser&UserName=a&Tags=&Tags.member.-1.Key=x&Tags.member.1",
	} {
		f.Add(s)
	}
	f.Add("Action=CreateRole&RoleName=r&Path=my-path&AssumeRolePolicyDocument=x")
	f.Add("Action=PutUserPolicy&UserName=u&PolicyName=test+policy&PolicyDocument=%7B%7D")
	f.Fuzz(func(t *testing.T, body string) {
		fuzzDecode(t, awsproto.IAM, body)
		fuzzDecode(t, awsproto.STS, body)
		// Emulator --enforce off's decoding only ever accepts more: whatever the strict
		// decoding accepts, the lenient one accepts too, and it fails only with wire errors.
		params, err := url.ParseQuery(body)
		if err != nil && len(params) == 0 {
			return
		}
		_, _, strictErr := awsproto.IAM.DecodeRequest(params)
		_, _, lenientErr := awsproto.IAM.DecodeRequestLenient(params)
		if lenientErr != nil {
			if _, ok := awserr.As(lenientErr); !ok {
				t.Fatalf("non-wire error %T %v for %q", lenientErr, lenientErr, body)
			}
			if strictErr == nil {
				t.Fatalf("lenient decoding refuses what strict accepts: %v for %q", lenientErr, body)
			}
		}
	})
}

func FuzzDecodeEC2(f *testing.F) {
	for _, s := range []string{
		"Action=RunInstances&ImageId=ami-1&MinCount=1&MaxCount=1&TagSpecification.1.Tag.1.Key=a&IamInstanceProfile.Arn=x",
		"Action=DescribeInstances&Filter.1.Name=tag%3Ak&Filter.1.Value.1=v&MaxResults=5&NextToken=t",
		"Action=ModifyInstanceMetadataOptions&InstanceId=i-1&HttpTokens=required&HttpPutResponseHopLimit=64",
		"Action=RunInstances&BlockDeviceMapping.1.Ebs.VolumeSize=8&NetworkInterface.1.Ipv6Addresses.1.Ipv6Address=::1&MinCount=1&MaxCount=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fuzzDecode(t, awsproto.EC2, body)
	})
}
