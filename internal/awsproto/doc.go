// Package awsproto owns AWS's wire protocols as Gatehouse speaks them: decoding a Query
// (IAM, STS) or EC2 request's parameters into the generated input types, encoding outputs
// as the XML documents AWS sends, and WriteError, the one function that turns any error
// into an AWS error document.
//
// The types come from AWS's API models, generated into iamapi, stsapi and ec2api by
// ./gen; their struct tags (q: input parameter, x: output element) drive this package's
// codecs, so the wire names are the model's and nothing here is written per operation.
package awsproto

//go:generate go run ./gen -models ../../../shared/data/aws-models -out .
