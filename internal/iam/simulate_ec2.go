package iam

import (
	"strings"

	"gatehouse/internal/arn"
	"gatehouse/internal/catalog"
)

// ResourceHandlingOption (API_SimulatePrincipalPolicy.html, API_SimulateCustomPolicy.html):
// "Different API operations that support resource-based policies require different
// combinations of resources. By specifying the type of simulation to run, you enable the
// policy simulator to enforce the presence of the required resources." Each value names an
// EC2 launch scenario and the resource types a launch in it acts on; the simulator refuses
// a simulation whose ResourceArns lack one of them, and decides an action that acts on all
// of them (ec2:RunInstances) once over all the given resources of its types: "The
// simulation results now show allowed only if your policy grants access to all the required
// resources" (https://aws.amazon.com/blogs/security/test-resource-level-permissions-using-the-iam-policy-simulator/),
// each resource's own decision under ResourceSpecificResults, the member AWS added with
// ResourceHandlingOption for this.
//
// The EC2-Classic values are those the API reference listed until EC2-Classic was retired;
// clients generated from older models still send them, so they are still accepted.

// ec2Scenario is one ResourceHandlingOption value and the EC2 resource types it requires.
type ec2Scenario struct {
	name  string
	types []string
}

var ec2Scenarios = []ec2Scenario{
	{"EC2-Classic-InstanceStore", []string{"instance", "image", "security-group"}},
	{"EC2-Classic-EBS", []string{"instance", "image", "security-group", "volume"}},
	{"EC2-VPC-InstanceStore", []string{"instance", "image", "security-group", "network-interface"}},
	{"EC2-VPC-InstanceStore-Subnet", []string{"instance", "image", "security-group", "network-interface", "subnet"}},
	{"EC2-VPC-EBS", []string{"instance", "image", "security-group", "network-interface", "volume"}},
	{"EC2-VPC-EBS-Subnet", []string{"instance", "image", "security-group", "network-interface", "subnet", "volume"}},
}

// ec2ResourceType is the EC2 resource type an ARN names ("instance" for
// arn:aws:ec2:us-east-1:111122223333:instance/*), or "" for any other ARN.
func ec2ResourceType(s string) string {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "ec2" {
		return ""
	}
	t, _, _ := strings.Cut(a.Resource, "/")
	return t
}

// resourceHandling checks a ResourceHandlingOption against the ResourceArns: the value must
// be one of the scenarios, and every resource type the scenario requires must be among the
// resources. An absent option is no scenario.
func resourceHandling(opt *string, resources []string) (*ec2Scenario, error) {
	if opt == nil {
		return nil, nil
	}
	var sc *ec2Scenario
	for i := range ec2Scenarios {
		if ec2Scenarios[i].name == *opt {
			sc = &ec2Scenarios[i]
		}
	}
	if sc == nil {
		names := make([]string, len(ec2Scenarios))
		for i, s := range ec2Scenarios {
			names[i] = s.name
		}
		return nil, simInvalid("Invalid ResourceHandlingOption %q: must be one of %s.", *opt, strings.Join(names, ", "))
	}
	have := map[string]bool{}
	for _, r := range resources {
		have[ec2ResourceType(r)] = true
	}
	var missing []string
	for _, t := range sc.types {
		if !have[t] {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return nil, simInvalid("ResourceHandlingOption %s requires ResourceArns of the EC2 resource types %s; missing: %s.",
			sc.name, strings.Join(sc.types, ", "), strings.Join(missing, ", "))
	}
	return sc, nil
}

// governs reports whether the scenario decides action as one call over several resources:
// the action acts on every resource type the scenario requires (ec2:RunInstances does).
func (sc *ec2Scenario) governs(action string) bool {
	if sc == nil {
		return false
	}
	a, ok := catalog.LookupAction(action)
	if !ok || a.Service.Prefix != "ec2" {
		return false
	}
	for _, t := range sc.types {
		if !actsOn(a, t) {
			return false
		}
	}
	return true
}

func actsOn(a *catalog.Action, typ string) bool {
	for _, r := range a.Resources {
		if r.Type.Service.Prefix == "ec2" && r.Type.Name == typ {
			return true
		}
	}
	return false
}

// scenarioResources are the resources of a governed action: those of ResourceArns that are
// EC2 resources of a type the action acts on, in their given order. The first instance is
// the call's own resource, the one the EvaluationResult names.
func scenarioResources(action string, resources []string) (own string, rs []string) {
	a, _ := catalog.LookupAction(action)
	for _, r := range resources {
		t := ec2ResourceType(r)
		if t == "" || a == nil || !actsOn(a, t) {
			continue
		}
		if own == "" && t == "instance" {
			own = r
		}
		rs = append(rs, r)
	}
	return own, rs
}
