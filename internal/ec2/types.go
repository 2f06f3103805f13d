// Package ec2 owns Gatehouse's EC2 subset: instances (launch, start, stop, terminate),
// their state machine, their instance metadata options, and their IAM instance profile
// associations, kept in the kv store. It is the domain behind the EC2 API operations the
// edge serves and behind the instance metadata service (internal/imds), which reads an
// instance's association to vend its role's credentials.
//
// Instances do not run anything: an instance is the identity that code started with
// `gatehouse instance exec` acts as. State transitions complete at once, but each
// operation reports the states AWS reports (RunInstances answers "pending",
// StopInstances "stopping", TerminateInstances "shutting-down"), so clients that wait
// for a state see it on their first Describe.
//
// The package decides nothing about authorization; the edge authorizes each call
// (ec2:RunInstances, iam:PassRole…) before calling the Service.
package ec2

import (
	"fmt"
	"time"
)

// State is an instance's lifecycle state
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceState.html).
type State uint8

const (
	Pending State = iota + 1
	Running
	ShuttingDown
	Terminated
	Stopping
	Stopped
)

var stateNames = [...]string{Pending: "pending", Running: "running", ShuttingDown: "shutting-down",
	Terminated: "terminated", Stopping: "stopping", Stopped: "stopped"}

// stateCodes are the low byte of InstanceState.Code as AWS documents them.
var stateCodes = [...]int32{Pending: 0, Running: 16, ShuttingDown: 32, Terminated: 48, Stopping: 64, Stopped: 80}

func (s State) String() string {
	if s == 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", s)
	}
	return stateNames[s]
}

// Code is the state's numeric code (InstanceState.Code).
func (s State) Code() int32 {
	if s == 0 || int(s) >= len(stateCodes) {
		return -1
	}
	return stateCodes[s]
}

// ParseState reads a state name as the instance-state-name filter takes it.
func ParseState(name string) (State, bool) {
	for s := Pending; s <= Stopped; s++ {
		if stateNames[s] == name {
			return s, true
		}
	}
	return 0, false
}

// Tokens is the IMDS session-token requirement (HttpTokens).
type Tokens uint8

const (
	TokensOptional Tokens = iota + 1 // IMDSv1 and IMDSv2 both answer
	TokensRequired                   // only IMDSv2: every request carries a session token
)

func (t Tokens) String() string {
	switch t {
	case TokensOptional:
		return "optional"
	case TokensRequired:
		return "required"
	}
	return fmt.Sprintf("Tokens(%d)", t)
}

// ParseTokens reads HttpTokens.
func ParseTokens(s string) (Tokens, bool) {
	switch s {
	case "optional":
		return TokensOptional, true
	case "required":
		return TokensRequired, true
	}
	return 0, false
}

// Endpoint is whether the instance's metadata service answers (HttpEndpoint).
type Endpoint uint8

const (
	EndpointEnabled Endpoint = iota + 1
	EndpointDisabled
)

func (e Endpoint) String() string {
	switch e {
	case EndpointEnabled:
		return "enabled"
	case EndpointDisabled:
		return "disabled"
	}
	return fmt.Sprintf("Endpoint(%d)", e)
}

// ParseEndpoint reads HttpEndpoint.
func ParseEndpoint(s string) (Endpoint, bool) {
	switch s {
	case "enabled":
		return EndpointEnabled, true
	case "disabled":
		return EndpointDisabled, true
	}
	return 0, false
}

// MetadataOptions are an instance's metadata service settings
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceMetadataOptionsRequest.html).
type MetadataOptions struct {
	Tokens   Tokens
	HopLimit int // HttpPutResponseHopLimit, 1..64
	Endpoint Endpoint
}

// MetadataChange is a partial update of MetadataOptions; zero fields keep the current value.
type MetadataChange struct {
	Tokens   Tokens
	HopLimit int
	Endpoint Endpoint
}

// DefaultMetadata is what RunInstances applies when MetadataOptions are absent. The API
// reference: HttpTokens defaults to optional unless the AMI's ImdsSupport is v2.0 (Gatehouse
// has no AMIs, so none says so); HttpPutResponseHopLimit defaults to 1; HttpEndpoint to
// enabled.
var DefaultMetadata = MetadataOptions{Tokens: TokensOptional, HopLimit: 1, Endpoint: EndpointEnabled}

// Tag is a resource tag.
type Tag struct{ Key, Value string }

// Profile is an IAM instance profile as the edge resolved it from a Name or an Arn.
type Profile struct {
	ARN string // arn:aws:iam::ACCOUNT:instance-profile/PATH/NAME
	ID  string // AIPA…
}

// AssociationState is an instance profile association's state
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IamInstanceProfileAssociation.html).
type AssociationState uint8

const (
	Associating AssociationState = iota + 1
	Associated
	Disassociating
	Disassociated
)

func (s AssociationState) String() string {
	switch s {
	case Associating:
		return "associating"
	case Associated:
		return "associated"
	case Disassociating:
		return "disassociating"
	case Disassociated:
		return "disassociated"
	}
	return fmt.Sprintf("AssociationState(%d)", s)
}

// ParseAssociationState reads the state filter of DescribeIamInstanceProfileAssociations.
func ParseAssociationState(s string) (AssociationState, bool) {
	for a := Associating; a <= Disassociated; a++ {
		if a.String() == s {
			return a, true
		}
	}
	return 0, false
}

// Association ties an instance profile to an instance.
type Association struct {
	ID         string // iip-assoc-…
	InstanceID string
	Profile    Profile
	State      AssociationState
	Time       time.Time
}

// Instance is one instance as the store keeps it.
type Instance struct {
	ID               string `json:"id"`
	Account          string `json:"account"`
	Partition        string `json:"partition,omitempty"`
	Region           string `json:"region"`
	ReservationID    string `json:"reservation"`
	ImageID          string `json:"image"`
	Type             string `json:"type"`
	LaunchIndex      int    `json:"launchIndex"`
	AvailabilityZone string `json:"az"`
	// Requester is the ARN of the principal that launched the instance.
	Requester   string    `json:"requester,omitempty"`
	ClientToken string    `json:"clientToken,omitempty"`
	LaunchTime  time.Time `json:"launched"`
	State       State     `json:"state"`
	// Changed is when State last changed: a terminated instance stays visible for an hour
	// after it, as on AWS.
	Changed  time.Time       `json:"changed"`
	Reason   string          `json:"reason,omitempty"`
	Tags     []Tag           `json:"tags,omitempty"`
	Metadata MetadataOptions `json:"metadata"`
	// Association is the current instance profile association; nil when none.
	Association *Association `json:"association,omitempty"`
}

// ARN is the instance's ARN, as ec2:SourceInstanceARN and authorization name it.
func (i *Instance) ARN() string {
	p := i.Partition
	if p == "" {
		p = "aws"
	}
	return fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", p, i.Region, i.Account, i.ID)
}

// StateChange is what Start/Stop/TerminateInstances report for one instance.
type StateChange struct {
	InstanceID string
	Previous   State
	Current    State
}
