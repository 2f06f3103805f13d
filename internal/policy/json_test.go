package policy

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func stdDecode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return nil, errJSON
	}
	return v, nil
}

// FuzzDecodeJSON holds decodeJSON to encoding/json: the same values, and errors on the
// same inputs.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,"x\u00e9\ud83d\ude00",true,null,{}]}`, `"\ud800"`, `[1,]`, `{"a":1}{}`, "\"\xff\"", `01`, `-`, `1e`, ` [ ] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, gerr := decodeJSON(data)
		want, werr := stdDecode(data)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("decodeJSON(%q) error = %v, encoding/json error = %v", data, gerr, werr)
		}
		if gerr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeJSON(%q) = %#v, encoding/json = %#v", data, got, want)
		}
	})
}
