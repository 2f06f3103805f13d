package awsproto

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/awserr"
)

// Decode fills in (a pointer to a generated input struct) from a Query or EC2 request's
// parameters, using the q struct tags the generator wrote from the model:
//
//   - scalars as Name=value; structures as Name.Field=value;
//   - lists as Name.member.N (Query) or Name.N (EC2 and flattened lists), N from 1; the
//     elements are taken in ascending N, and a gap does not end the list (AWS takes the
//     indices it is given); "Name=" with no elements is an empty list, as botocore sends one;
//   - maps as Name.entry.N.key / Name.entry.N.value;
//   - timestamps ISO 8601 (or epoch seconds), booleans true/false, numbers in decimal,
//     blobs base64.
//
// Parameters the model does not name are ignored, as AWS ignores them. A value that does
// not parse as its member's type is InvalidParameterValue (400), AWS's common error for
// "an invalid or out-of-range value was supplied for the input parameter"
// (https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html). Decode does not
// check the model's constraints: that is the input's Validate.
func Decode(params url.Values, in any) error {
	return decode(params, in, false)
}

// decode is Decode; strict (EC2) also refuses a parameter the operation does not have:
// EC2, unlike the Query services, answers UnknownParameter "The parameter X is not
// recognized" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
func decode(params url.Values, in any, strict bool) error {
	rv := reflect.ValueOf(in)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("awsproto.Decode: want a pointer to a struct, got %T", in)
	}
	d := decoder{params: params}
	d.keys = make([]string, 0, len(params))
	for k := range params {
		d.keys = append(d.keys, k)
	}
	// Sorted, the parameters under one prefix are contiguous: finding a structure's or a
	// list's parameters is a binary search, so decoding costs O(n log n) in the number of
	// parameters however they nest (a scan per list element would be quadratic).
	slices.Sort(d.keys)
	if strict {
		d.used = make(map[string]bool, len(params))
	}
	d.structure("", planFor(rv.Elem().Type()), rv.Elem())
	if d.err == nil && strict {
		for _, k := range d.keys { // sorted: the same parameter is reported every time
			if !d.used[k] && !envelopeParam(k) {
				return awserr.New(400, "UnknownParameter", "The parameter %s is not recognized", truncate(k))
			}
		}
	}
	return d.err
}

// envelopeParam reports whether a parameter belongs to the request rather than the
// operation: Action and Version, and the signature's own parameters (SigV4 presigned
// X-Amz-*, and SigV2's).
func envelopeParam(k string) bool {
	switch k {
	case "Action", "Version", "AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "Timestamp", "Expires", "SecurityToken":
		return true
	}
	return len(k) > 6 && strings.EqualFold(k[:6], "X-Amz-")
}

type decoder struct {
	params url.Values
	keys   []string
	used   map[string]bool // strict decoding: the parameters consumed
	err    error
}

// lookup returns parameter prefix+name's first value and marks it consumed. The name is
// passed in two parts because a map index with a concatenated key does not allocate.
func (d *decoder) lookup(prefix, name string) (string, bool) {
	vals, ok := d.params[prefix+name]
	if !ok || len(vals) == 0 {
		return "", false
	}
	if d.used != nil {
		d.used[prefix+name] = true
	}
	return vals[0], true
}

func (d *decoder) fail(prefix, name, value, want string) {
	if d.err == nil {
		d.err = awserr.InvalidParameterValue("Invalid value '%s' for parameter %s: %s", truncate(value), prefix+name, want)
	}
}

// truncate bounds how much of a client's bad value is echoed back.
func truncate(s string) string {
	if len(s) > 256 {
		return s[:256] + "..."
	}
	return s
}

// hasPrefix reports whether any parameter starts with p.
func (d *decoder) hasPrefix(p string) bool {
	i, _ := slices.BinarySearch(d.keys, p)
	return i < len(d.keys) && strings.HasPrefix(d.keys[i], p)
}

// indices returns the distinct positive indices N of parameters named p.N or p.N.…,
// ascending.
func (d *decoder) indices(p string) []int {
	p += "."
	var out []int
	i, _ := slices.BinarySearch(d.keys, p)
	for ; i < len(d.keys) && strings.HasPrefix(d.keys[i], p); i++ {
		rest := d.keys[i][len(p):]
		if j := strings.IndexByte(rest, '.'); j >= 0 {
			rest = rest[:j]
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || rest[0] == '+' || rest[0] == '0' {
			continue // not an index: an unknown parameter, ignored
		}
		// Keys of one index are adjacent in sorted order ("x.1.a" < "x.1.b" < "x.10.a"),
		// so a repeat is always the last index seen.
		if len(out) == 0 || out[len(out)-1] != n {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (d *decoder) structure(prefix string, sp *structPlan, v reflect.Value) {
	for i := range sp.fields {
		f := &sp.fields[i]
		if !f.hasQ {
			continue
		}
		fv := v.Field(f.index)
		switch f.kind {
		case kStruct:
			p := prefix + f.q + "."
			if !d.hasPrefix(p) {
				continue
			}
			d.structure(p, f.st, settable(fv, f.ptr))
		case kList:
			d.list(prefix, f, fv)
		case kMap:
			d.mapping(prefix, f, fv)
		default:
			val, ok := d.lookup(prefix, f.q)
			if !ok {
				continue
			}
			d.scalar(prefix, f.q, val, &f.valuePlan, settable(fv, f.ptr))
		}
	}
}

// settable returns the value to fill: the field itself, or a newly allocated target of a
// pointer field.
func settable(fv reflect.Value, ptr bool) reflect.Value {
	if !ptr {
		return fv
	}
	if fv.IsNil() {
		fv.Set(reflect.New(fv.Type().Elem()))
	}
	return fv.Elem()
}

func (d *decoder) list(prefix string, f *fieldPlan, fv reflect.Value) {
	p := prefix + f.q
	idx := d.indices(p)
	if len(idx) == 0 {
		if _, ok := d.lookup(prefix, f.qBase); ok {
			fv.Set(reflect.MakeSlice(fv.Type(), 0, 0)) // "Tags=": an explicitly empty list
		}
		return
	}
	s := reflect.MakeSlice(fv.Type(), len(idx), len(idx))
	for i, n := range idx {
		name := p + "." + strconv.Itoa(n)
		ev := s.Index(i)
		if f.elem.kind == kStruct {
			d.structure(name+".", f.elem.st, ev)
			continue
		}
		val, ok := d.lookup(name, "")
		if !ok {
			continue // only Name.N.x exists for a scalar list: an empty element
		}
		d.scalar(name, "", val, f.elem, ev)
	}
	fv.Set(s)
}

func (d *decoder) mapping(prefix string, f *fieldPlan, fv reflect.Value) {
	p := prefix + f.q
	idx := d.indices(p)
	if len(idx) == 0 {
		return
	}
	m := reflect.MakeMapWithSize(fv.Type(), len(idx))
	for _, n := range idx {
		name := p + "." + strconv.Itoa(n) + "."
		key, ok := d.lookup(name, f.qKey)
		if !ok {
			continue
		}
		ev := reflect.New(fv.Type().Elem()).Elem()
		if val, ok := d.lookup(name, f.qValue); ok {
			d.scalar(name, f.qValue, val, f.elem, ev)
		}
		m.SetMapIndex(reflect.ValueOf(key).Convert(fv.Type().Key()), ev)
	}
	fv.Set(m)
}

// scalar parses s into v; prefix+name is the parameter, joined only to report a failure.
func (d *decoder) scalar(prefix, name, s string, vp *valuePlan, v reflect.Value) {
	switch vp.kind {
	case kString:
		v.SetString(s)
	case kInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, vp.typ.Bits())
		if err != nil {
			d.fail(prefix, name, s, "not an integer")
			return
		}
		v.SetInt(n)
	case kUint:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, vp.typ.Bits())
		if err != nil {
			d.fail(prefix, name, s, "not a non-negative integer")
			return
		}
		v.SetUint(n)
	case kFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), vp.typ.Bits())
		if err != nil {
			d.fail(prefix, name, s, "not a number")
			return
		}
		v.SetFloat(f)
	case kBool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			d.fail(prefix, name, s, "not a boolean (true or false)")
		}
	case kTime:
		t, err := parseTime(s)
		if err != nil {
			d.fail(prefix, name, s, "not an ISO 8601 timestamp")
			return
		}
		v.Set(reflect.ValueOf(t))
	case kBlob:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			d.fail(prefix, name, s, "not base64")
			return
		}
		v.SetBytes(b)
	}
}

// parseTime accepts what AWS accepts for a Query timestamp: ISO 8601 with or without
// fractional seconds and offset, or epoch seconds.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1e11 {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("bad timestamp %q", s)
}
