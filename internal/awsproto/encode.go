package awsproto

import (
	"encoding/base64"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendMembers writes a struct's members as XML elements using the x struct tags: nil
// pointers, nil optional lists and maps, empty enum values and empty omitempty strings are
// omitted; required lists
// are written even when empty (<Users/>); lists as <Name><member>…</member></Name> (or
// <item> for EC2, or repeated <Name> when flattened); maps as
// <Name><entry><key/><value/></entry></Name> in key order; timestamps ISO 8601 UTC.
func (e *encoder) appendMembers(sp *structPlan, v reflect.Value) {
	for i := range sp.fields {
		f := &sp.fields[i]
		if !f.hasX {
			continue
		}
		fv := v.Field(f.index)
		if f.ptr {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
		}
		switch f.kind {
		case kList:
			if fv.IsNil() && !f.xReq {
				continue
			}
			e.list(f, fv)
		case kMap:
			if fv.IsNil() && !f.xReq {
				continue
			}
			e.mapping(f, fv)
		case kStruct:
			e.b = append(e.b, f.open...)
			e.appendMembers(f.st, fv)
			e.b = append(e.b, f.close...)
		default:
			if (f.named || f.xOmitEmpty) && fv.Kind() == reflect.String && fv.Len() == 0 {
				continue // an unset enum, or a member AWS leaves out when empty
			}
			if f.kind == kBlob && fv.IsNil() {
				// An unset blob is left out, not sent as an empty element: ListVirtualMFADevices
				// has no Base32StringSeed or QRCodePNG (recorded against AWS in LocalStack's
				// test_iam_mfa snapshots), where an empty element would read as an empty seed.
				continue
			}
			e.b = append(e.b, f.open...)
			e.scalar(&f.valuePlan, fv)
			e.b = append(e.b, f.close...)
		}
	}
}

type encoder struct {
	b       []byte
	ec2Time bool // EC2 writes milliseconds: 2026-11-30T09:15:02.000Z
}

func (e *encoder) list(f *fieldPlan, fv reflect.Value) {
	n := fv.Len()
	if f.xFlat {
		for i := 0; i < n; i++ {
			e.b = append(e.b, f.open...)
			e.value(f.elem, fv.Index(i))
			e.b = append(e.b, f.close...)
		}
		return
	}
	if n == 0 {
		e.b = append(e.b, '<')
		e.b = append(e.b, f.x...)
		e.b = append(e.b, "/>"...)
		return
	}
	e.b = append(e.b, f.open...)
	for i := 0; i < n; i++ {
		e.b = append(e.b, f.mopen...)
		e.value(f.elem, fv.Index(i))
		e.b = append(e.b, f.mclos...)
	}
	e.b = append(e.b, f.close...)
}

func (e *encoder) mapping(f *fieldPlan, fv reflect.Value) {
	keys := fv.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int {
		switch {
		case a.String() < b.String():
			return -1
		case a.String() > b.String():
			return 1
		}
		return 0
	})
	if !f.xFlat {
		e.b = append(e.b, f.open...)
	}
	for _, k := range keys {
		if f.xFlat {
			e.b = append(e.b, f.open...)
		} else {
			e.b = append(e.b, "<entry>"...)
		}
		e.b = append(e.b, '<')
		e.b = append(e.b, f.xKey...)
		e.b = append(e.b, '>')
		e.text(k.String())
		e.b = append(e.b, "</"...)
		e.b = append(e.b, f.xKey...)
		e.b = append(e.b, "><"...)
		e.b = append(e.b, f.xValue...)
		e.b = append(e.b, '>')
		e.value(f.elem, fv.MapIndex(k))
		e.b = append(e.b, "</"...)
		e.b = append(e.b, f.xValue...)
		e.b = append(e.b, '>')
		if f.xFlat {
			e.b = append(e.b, f.close...)
		} else {
			e.b = append(e.b, "</entry>"...)
		}
	}
	if !f.xFlat {
		e.b = append(e.b, f.close...)
	}
}

// value writes a list element or map value (never a pointer).
func (e *encoder) value(vp *valuePlan, v reflect.Value) {
	if vp.kind == kStruct {
		e.appendMembers(vp.st, v)
		return
	}
	e.scalar(vp, v)
}

func (e *encoder) scalar(vp *valuePlan, v reflect.Value) {
	switch vp.kind {
	case kString:
		e.text(v.String())
	case kInt:
		e.b = strconv.AppendInt(e.b, v.Int(), 10)
	case kUint:
		e.b = strconv.AppendUint(e.b, v.Uint(), 10)
	case kBool:
		e.b = strconv.AppendBool(e.b, v.Bool())
	case kFloat:
		e.b = strconv.AppendFloat(e.b, v.Float(), 'f', -1, vp.typ.Bits())
	case kTime:
		var t time.Time
		if v.CanAddr() {
			t = *v.Addr().Interface().(*time.Time) // no allocation, unlike Interface()
		} else {
			t = v.Interface().(time.Time)
		}
		e.b = appendTime(e.b, t, e.ec2Time)
	case kBlob:
		e.b = base64.StdEncoding.AppendEncode(e.b, v.Bytes())
	}
}

// appendTime writes t as AWS writes timestamps in XML: ISO 8601 in UTC, to the second for
// Query services (2026-11-30T09:15:02Z) and to the millisecond for EC2
// (2026-11-30T09:15:02.000Z). Written by hand: time.Format is a third of a GetUser
// response's encoding cost.
func appendTime(b []byte, t time.Time, millis bool) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, "2006-01-02T15:04:05Z")
	}
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10))
	if millis {
		ms := t.Nanosecond() / 1e6
		b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	}
	return append(b, 'Z')
}

// text appends s escaped as XML character data. Characters XML 1.0 cannot carry (controls
// other than tab, newline and carriage return, invalid UTF-8) become U+FFFD, as
// encoding/xml does; \r is escaped so a client's parser keeps it.
func (e *encoder) text(s string) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		var esc string
		width := 1
		switch c {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		case '\n', '\t':
			i++
			continue
		default:
			if c < 0x20 {
				esc = "\uFFFD"
				break
			}
			r, w := utf8.DecodeRuneInString(s[i:])
			width = w
			if r == utf8.RuneError && w == 1 || !isXMLChar(r) {
				esc = "\uFFFD"
				break
			}
			i += w
			continue
		}
		e.b = append(e.b, s[last:i]...)
		e.b = append(e.b, esc...)
		i += width
		last = i
	}
	e.b = append(e.b, s[last:]...)
}

// plain marks the bytes text copies as they are: printable ASCII other than &, < and >.
// Quotes need no escaping in character data, and AWS leaves them as they are
// ("The instance ID 'i-404' does not exist").
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '&' && c != '<' && c != '>'
	}
	return t
}()

func isXMLChar(r rune) bool {
	return r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
