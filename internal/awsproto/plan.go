package awsproto

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// kind is what a Go field holds on the wire.
type kind uint8

const (
	kString kind = iota
	kInt
	kUint
	kBool
	kFloat
	kTime
	kBlob
	kStruct
	kList
	kMap
)

// valuePlan describes one Go type on the wire: a field's type after its pointer, a list's
// element or a map's value.
type valuePlan struct {
	kind  kind
	typ   reflect.Type
	named bool        // a named string type (an enum): "" means absent
	st    *structPlan // kStruct
	elem  *valuePlan  // kList element, kMap value
}

// fieldPlan is one struct field with its wire names from the generated struct tags.
type fieldPlan struct {
	index int
	ptr   bool // the field is a pointer: nil means absent
	valuePlan

	// Input (q tag): the parameter name, for lists and maps with the segment before the
	// index ("Tags.member"); base is the name alone ("Tags").
	q, qBase     string
	qKey, qValue string
	hasQ         bool

	// Output (x tag).
	x            string
	xMember      string // list element name ("member", "item")
	xFlat        bool
	xKey, xValue string
	xReq         bool // a required list or map: written even when empty
	xOmitEmpty   bool // a required string AWS leaves out when it is empty (omitempty)
	hasX         bool
	open, close  string // "<x>" and "</x>", precomputed
	mopen, mclos string // "<member>" and "</member>"
}

type structPlan struct {
	fields []fieldPlan
}

var plans sync.Map // reflect.Type -> *structPlan

var timeType = reflect.TypeFor[time.Time]()

// planFor returns the wire plan of a struct type, built once.
func planFor(t reflect.Type) *structPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*structPlan)
	}
	mu.Lock()
	defer mu.Unlock()
	building := map[reflect.Type]*structPlan{}
	p := buildStruct(t, building)
	for bt, bp := range building {
		plans.LoadOrStore(bt, bp)
	}
	return p
}

var mu sync.Mutex

func buildStruct(t reflect.Type, building map[reflect.Type]*structPlan) *structPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*structPlan)
	}
	if p, ok := building[t]; ok {
		return p
	}
	sp := &structPlan{}
	building[t] = sp
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		fp := fieldPlan{index: i}
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			fp.ptr = true
			ft = ft.Elem()
		}
		fp.valuePlan = buildValue(ft, building)
		if q, ok := sf.Tag.Lookup("q"); ok {
			fp.hasQ = true
			parts := strings.Split(q, ",")
			fp.q = parts[0]
			fp.qBase, _, _ = strings.Cut(fp.q, ".")
			fp.qKey, fp.qValue = "key", "value"
			for _, o := range parts[1:] {
				if v, ok := strings.CutPrefix(o, "key="); ok {
					fp.qKey = v
				} else if v, ok := strings.CutPrefix(o, "value="); ok {
					fp.qValue = v
				}
			}
		}
		if x, ok := sf.Tag.Lookup("x"); ok {
			fp.hasX = true
			parts := strings.Split(x, ",")
			fp.x = parts[0]
			fp.xKey, fp.xValue = "key", "value"
			for _, o := range parts[1:] {
				switch {
				case o == "flat":
					fp.xFlat = true
				case o == "req":
					fp.xReq = true
				case o == "omitempty":
					fp.xOmitEmpty = true
				case strings.HasPrefix(o, "member="):
					fp.xMember = o[len("member="):]
				case strings.HasPrefix(o, "key="):
					fp.xKey = o[len("key="):]
				case strings.HasPrefix(o, "value="):
					fp.xValue = o[len("value="):]
				}
			}
			if fp.kind == kList && !fp.xFlat && fp.xMember == "" {
				fp.xMember = "member"
			}
			fp.open, fp.close = "<"+fp.x+">", "</"+fp.x+">"
			if fp.xMember != "" {
				fp.mopen, fp.mclos = "<"+fp.xMember+">", "</"+fp.xMember+">"
			}
		}
		sp.fields = append(sp.fields, fp)
	}
	return sp
}

func buildValue(t reflect.Type, building map[reflect.Type]*structPlan) valuePlan {
	vp := valuePlan{typ: t}
	switch {
	case t == timeType:
		vp.kind = kTime
	case t.Kind() == reflect.String:
		vp.kind = kString
		vp.named = t.PkgPath() != ""
	case t.Kind() == reflect.Bool:
		vp.kind = kBool
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		vp.kind = kInt
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		vp.kind = kUint
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		vp.kind = kFloat
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		vp.kind = kBlob
	case t.Kind() == reflect.Slice:
		vp.kind = kList
		e := buildValue(t.Elem(), building)
		vp.elem = &e
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		vp.kind = kMap
		e := buildValue(t.Elem(), building)
		vp.elem = &e
	case t.Kind() == reflect.Struct:
		vp.kind = kStruct
		vp.st = buildStruct(t, building)
	default:
		panic(fmt.Sprintf("awsproto: unsupported wire type %s", t))
	}
	return vp
}
