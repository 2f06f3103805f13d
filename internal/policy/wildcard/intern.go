package wildcard

import (
	"hash/maphash"
	"strings"
	"sync"
	"unsafe"
)

// The intern table shares compiled patterns process-wide: patterns are immutable, so
// every policy that names "s3:GetObject" or "arn:aws:s3:::my_bucket/*" holds the same
// one. It is built for many patterns that occur once (a resource ARN naming its own
// principal's bucket), where a Go map would cost more than the pattern: each shard is
// an open-addressing table of pattern pointers, keyed by the pattern's own text, mode
// and variables flag (8 bytes a slot, at most 7/8 full); the texts are packed into
// shared chunks and the patterns into slabs, so neither is rounded up to an allocation
// size class. Interning happens at compile time, never on the decision path. Entries
// are never removed, as before: a pattern stays for the life of the process.
var internShards [32]shard

var internSeed = maphash.MakeSeed()

type shard struct {
	mu    sync.RWMutex
	slots []*Pattern // len a power of two; nil marks an empty slot
	n     int
	text  []byte    // the current text chunk: its free capacity takes new texts
	slab  []Pattern // the current slab's unused patterns
}

const (
	textChunk = 8 << 10
	slabSize  = 128 // 4 KiB of patterns
)

// Intern returns the shared compiled form of s (see Compile).
func Intern(s string, mode Mode, variables bool) *Pattern {
	if mode == Action {
		// Action patterns are case-insensitive: one entry per lower-cased text.
		s = strings.ToLower(s)
	}
	h := maphash.String(internSeed, s) ^ uint64(mode)<<1
	if variables {
		h ^= 1
	}
	sh := &internShards[h%uint64(len(internShards))]
	h /= uint64(len(internShards))
	sh.mu.RLock()
	p := sh.find(h, s, mode, variables)
	sh.mu.RUnlock()
	if p != nil {
		return p
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if p := sh.find(h, s, mode, variables); p != nil {
		return p
	}
	// Compile the stored copy: the pattern (and its variables' keys and defaults) must
	// not alias the caller's text, which is often a whole policy document.
	if len(sh.slab) == 0 {
		sh.slab = make([]Pattern, slabSize)
	}
	p = &sh.slab[0]
	sh.slab = sh.slab[1:]
	*p = compileLower(sh.store(s), mode, variables)
	sh.insert(h, p)
	return p
}

func (sh *shard) find(h uint64, s string, mode Mode, variables bool) *Pattern {
	if len(sh.slots) == 0 {
		return nil
	}
	mask := uint64(len(sh.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		p := sh.slots[i]
		if p == nil {
			return nil
		}
		if p.mode == mode && (p.flags&fVarsOn != 0) == variables && p.src == s {
			return p
		}
	}
}

func (sh *shard) insert(h uint64, p *Pattern) {
	if (sh.n+1)*8 > len(sh.slots)*7 {
		sh.grow()
	}
	mask := uint64(len(sh.slots) - 1)
	i := h & mask
	for sh.slots[i] != nil {
		i = (i + 1) & mask
	}
	sh.slots[i] = p
	sh.n++
}

func (sh *shard) grow() {
	old := sh.slots
	n := 2 * len(old)
	if n == 0 {
		n = 64
	}
	sh.slots = make([]*Pattern, n)
	mask := uint64(n - 1)
	for _, p := range old {
		if p == nil {
			continue
		}
		h := maphash.String(internSeed, p.src) ^ uint64(p.mode)<<1
		if p.flags&fVarsOn != 0 {
			h ^= 1
		}
		i := (h / uint64(len(internShards))) & mask
		for sh.slots[i] != nil {
			i = (i + 1) & mask
		}
		sh.slots[i] = p
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
