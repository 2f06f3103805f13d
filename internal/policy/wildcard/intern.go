package wildcard

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The intern table shares compiled patterns process-wide: patterns are immutable, so
// every policy that names "s3:GetObject" or "arn:aws:s3:::my_bucket/*" holds the same
// one, by its 4-byte ID. It is built for many patterns that occur once (a resource ARN
// naming its own principal's bucket), where a Go map and a pointer per use would cost
// more than the pattern: the patterns sit in large chunks, found by ID; each shard of
// the table is an open-addressing array of IDs (4 bytes a slot, at most 7/8 full),
// keyed by the pattern's own text, mode and variables flag; the texts are packed into
// shared chunks, so nothing is rounded up to an allocation size class. Interning
// happens at compile time, never on the decision path. Entries are never removed, as
// before: a pattern stays for the life of the process.
var internShards [32]shard

var internSeed = maphash.MakeSeed()

type shard struct {
	mu    sync.RWMutex
	slots []ID // len a power of two; 0 marks an empty slot
	n     int
	text  []byte // the current text chunk: its free capacity takes new texts
}

// ID names an interned pattern; At returns it. IDs start at 1.
type ID uint32

const (
	textChunk = 8 << 10
	chunkBits = 13
	chunkLen  = 1 << chunkBits // 192 KiB of patterns
	maxChunks = 1 << 15        // 268 million patterns
)

var (
	chunks  [maxChunks]atomic.Pointer[[chunkLen]Pattern]
	allocMu sync.Mutex
	nextID  uint32 = 1
)

// At returns the pattern id names; id must come from InternID.
func At(id ID) *Pattern {
	return &chunks[(id>>chunkBits)&(maxChunks-1)].Load()[id&(chunkLen-1)]
}

// newID stores c and returns its ID.
func newID(c *Pattern) ID {
	allocMu.Lock()
	defer allocMu.Unlock()
	id := nextID
	if id>>chunkBits >= maxChunks {
		panic("wildcard: more than 268 million distinct patterns interned")
	}
	ch := chunks[id>>chunkBits].Load()
	if ch == nil {
		ch = new([chunkLen]Pattern)
		chunks[id>>chunkBits].Store(ch)
	}
	ch[id&(chunkLen-1)] = *c
	nextID++
	return ID(id)
}

// Intern returns the shared compiled form of s (see Compile).
func Intern(s string, mode Mode, variables bool) *Pattern { return At(InternID(s, mode, variables)) }

// InternID returns the ID of the shared compiled form of s (see Compile).
func InternID(s string, mode Mode, variables bool) ID {
	if mode == Action {
		// Action patterns are case-insensitive: one entry per lower-cased text.
		s = strings.ToLower(s)
	}
	h := hash(s, mode, variables)
	sh := &internShards[h%uint64(len(internShards))]
	sh.mu.RLock()
	id := sh.find(h, s, mode, variables)
	sh.mu.RUnlock()
	if id != 0 {
		return id
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if id := sh.find(h, s, mode, variables); id != 0 {
		return id
	}
	// Compile the stored copy: the pattern (and its variables' keys and defaults) must
	// not alias the caller's text, which is often a whole policy document.
	c := compileLower(sh.store(s), mode, variables)
	id = newID(&c)
	sh.insert(h, id)
	return id
}

func hash(s string, mode Mode, variables bool) uint64 {
	h := maphash.String(internSeed, s) ^ uint64(mode)<<1
	if variables {
		h ^= 1
	}
	return h
}

// slot is where a hash's probe starts in a table of len slots (the low bits chose the
// shard).
func slot(h uint64, n int) uint64 { return (h / uint64(len(internShards))) & uint64(n-1) }

func (sh *shard) find(h uint64, s string, mode Mode, variables bool) ID {
	if len(sh.slots) == 0 {
		return 0
	}
	mask := uint64(len(sh.slots) - 1)
	for i := slot(h, len(sh.slots)); ; i = (i + 1) & mask {
		id := sh.slots[i]
		if id == 0 {
			return 0
		}
		if p := At(id); p.mode == mode && (p.flags&fVarsOn != 0) == variables && p.String() == s {
			return id
		}
	}
}

func (sh *shard) insert(h uint64, id ID) {
	if (sh.n+1)*8 > len(sh.slots)*7 {
		sh.grow()
	}
	sh.put(h, id)
	sh.n++
}

func (sh *shard) put(h uint64, id ID) {
	mask := uint64(len(sh.slots) - 1)
	i := slot(h, len(sh.slots))
	for sh.slots[i] != 0 {
		i = (i + 1) & mask
	}
	sh.slots[i] = id
}

func (sh *shard) grow() {
	old := sh.slots
	n := 2 * len(old)
	if n == 0 {
		n = 64
	}
	sh.slots = make([]ID, n)
	for _, id := range old {
		if id != 0 {
			p := At(id)
			sh.put(hash(p.String(), p.mode, p.flags&fVarsOn != 0), id)
		}
	}
}

// store copies s into the shard's text chunk. The bytes are never written again, so
// the returned string may alias them.
func (sh *shard) store(s string) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > textChunk/8 {
		return strings.Clone(s)
	}
	if cap(sh.text)-len(sh.text) < len(s) {
		sh.text = make([]byte, 0, textChunk)
	}
	n := len(sh.text)
	sh.text = append(sh.text, s...)
	return unsafe.String(&sh.text[n], len(s))
}
