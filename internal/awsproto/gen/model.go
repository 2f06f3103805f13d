package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// apiModel is the part of a botocore service-2.json the generator reads.
type apiModel struct {
	Metadata struct {
		APIVersion     string `json:"apiVersion"`
		EndpointPrefix string `json:"endpointPrefix"`
		Protocol       string `json:"protocol"`
		XMLNamespace   string `json:"xmlNamespace"`
		ServiceID      string `json:"serviceId"`
	} `json:"metadata"`
	Operations map[string]*operation `json:"operations"`
	Shapes     map[string]*shape     `json:"shapes"`
}

type operation struct {
	Name          string     `json:"name"`
	Input         *shapeRef  `json:"input"`
	Output        *shapeRef  `json:"output"`
	Errors        []shapeRef `json:"errors"`
	Documentation string     `json:"documentation"`
}

type shapeRef struct {
	Shape         string `json:"shape"`
	LocationName  string `json:"locationName"`
	QueryName     string `json:"queryName"`
	ResultWrapper string `json:"resultWrapper"`
	Flattened     bool   `json:"flattened"`
	Documentation string `json:"documentation"`
}

type errorInfo struct {
	Code           string `json:"code"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	SenderFault    bool   `json:"senderFault"`
}

type shape struct {
	Type          string         `json:"type"`
	Members       orderedMembers `json:"members"`
	Required      []string       `json:"required"`
	Member        *shapeRef      `json:"member"`
	Key           *shapeRef      `json:"key"`
	Value         *shapeRef      `json:"value"`
	Min           *float64       `json:"min"`
	Max           *float64       `json:"max"`
	Pattern       string         `json:"pattern"`
	Enum          []string       `json:"enum"`
	Sensitive     bool           `json:"sensitive"`
	Flattened     bool           `json:"flattened"`
	LocationName  string         `json:"locationName"`
	Error         *errorInfo     `json:"error"`
	Exception     bool           `json:"exception"`
	Documentation string         `json:"documentation"`
}

func (s *shape) isRequired(member string) bool {
	for _, r := range s.Required {
		if r == member {
			return true
		}
	}
	return false
}

// member is one structure member, kept in the model's order: generated fields, wire
// output and violation lists follow the order AWS's model gives.
type member struct {
	Name string
	Ref  *shapeRef
}

type orderedMembers []member

func (m *orderedMembers) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("members: want object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := t.(string)
		ref := new(shapeRef)
		if err := dec.Decode(ref); err != nil {
			return err
		}
		*m = append(*m, member{Name: name, Ref: ref})
	}
	return nil
}

type paginatorsFile struct {
	Pagination map[string]struct {
		InputToken  any    `json:"input_token"`
		OutputToken any    `json:"output_token"`
		LimitKey    string `json:"limit_key"`
		MoreResults string `json:"more_results"`
		ResultKey   any    `json:"result_key"`
	} `json:"pagination"`
}

func loadModel(dir string) (*apiModel, *paginatorsFile, error) {
	f, err := os.Open(filepath.Join(dir, "service-2.json.gz"))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, nil, err
	}
	m := new(apiModel)
	if err := json.Unmarshal(raw, m); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", dir, err)
	}
	p := new(paginatorsFile)
	if b, err := os.ReadFile(filepath.Join(dir, "paginators-1.json")); err == nil {
		if err := json.Unmarshal(b, p); err != nil {
			return nil, nil, fmt.Errorf("%s paginators: %w", dir, err)
		}
	}
	return m, p, nil
}
