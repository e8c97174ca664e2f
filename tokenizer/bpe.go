package tokenizer

// mergeTable maps a pair of token ids to its merge rank and the id of the merged token.
// It is an open-addressing hash table keyed by the packed pair; it is read-only after
// Load, so encoders on many goroutines share it.
type mergeTable struct {
	keys []uint64 // a<<32 | b, or emptyKey
	vals []uint64 // rank<<32 | newID
	mask uint64
}

const emptyKey = ^uint64(0)

func newMergeTable(n int) *mergeTable {
	size := 1
	for size < 2*n+2 {
		size <<= 1
	}
	t := &mergeTable{keys: make([]uint64, size), vals: make([]uint64, size), mask: uint64(size - 1)}
	for i := range t.keys {
		t.keys[i] = emptyKey
	}
	return t
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func hashKey(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	return k
}

// put sets the merge for (a, b); a later merge of the same pair replaces an earlier
// one, as collecting the Rust library's merge list into a HashMap does.
func (t *mergeTable) put(a, b int32, rank, id int32) {
	k := pairKey(a, b)
	for i := hashKey(k) & t.mask; ; i = (i + 1) & t.mask {
		if t.keys[i] == emptyKey || t.keys[i] == k {
			t.keys[i] = k
			t.vals[i] = uint64(uint32(rank))<<32 | uint64(uint32(id))
			return
		}
	}
}

// get returns the rank and merged id for (a, b).
func (t *mergeTable) get(a, b int32) (rank, id int32, ok bool) {
	k := pairKey(a, b)
	for i := hashKey(k) & t.mask; ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case k:
			v := t.vals[i]
			return int32(v >> 32), int32(uint32(v)), true
		case emptyKey:
			return 0, 0, false
		}
	}
}

const noMerge = int32(1<<31 - 1)

// mergeWord applies the BPE merges to ids in place and returns the result: repeatedly
// merge the adjacent pair of lowest rank, the leftmost one on ties, which is exactly the
// order of the Rust library's priority queue. Short words use a rank array scan, long
// ones a heap.
func (e *encoder) mergeWord(ids []int32) []int32 {
	if len(ids) < 2 {
		return ids
	}
	if len(ids) > 48 {
		return e.mergeWordHeap(ids)
	}
	m := e.t.merges
	ranks := e.ranks[:0]
	news := e.news[:0]
	for i := 0; i+1 < len(ids); i++ {
		r, id, ok := m.get(ids[i], ids[i+1])
		if !ok {
			r = noMerge
		}
		ranks = append(ranks, r)
		news = append(news, id)
	}
	for {
		best, bi := noMerge, -1
		for i, r := range ranks {
			if r < best {
				best, bi = r, i
			}
		}
		if bi < 0 {
			break
		}
		ids[bi] = news[bi]
		copy(ids[bi+1:], ids[bi+2:])
		ids = ids[:len(ids)-1]
		copy(ranks[bi:], ranks[bi+1:])
		ranks = ranks[:len(ranks)-1]
		copy(news[bi:], news[bi+1:])
		news = news[:len(news)-1]
		if bi > 0 {
			r, id, ok := m.get(ids[bi-1], ids[bi])
			if !ok {
				r = noMerge
			}
			ranks[bi-1], news[bi-1] = r, id
		}
		if bi < len(ranks) {
			r, id, ok := m.get(ids[bi], ids[bi+1])
			if !ok {
				r = noMerge
			}
			ranks[bi], news[bi] = r, id
		}
	}
	e.ranks, e.news = ranks, news
	return ids
}

type symbol struct {
	id         int32
	prev, next int32 // -1 at the ends
	alive      bool
}

type mergeCand struct {
	rank, pos, id int32
}

// candHeap is a binary min-heap of merge candidates ordered by (rank, pos), written
// out for the concrete type (container/heap boxes every element in an interface).
type candHeap []mergeCand

func (c mergeCand) less(o mergeCand) bool {
	return c.rank < o.rank || (c.rank == o.rank && c.pos < o.pos)
}

func (h *candHeap) push(c mergeCand) {
	*h = append(*h, c)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !a[i].less(a[p]) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *candHeap) pop() mergeCand {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && a[r].less(a[l]) {
			m = r
		}
		if !a[m].less(a[i]) {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}

func (e *encoder) mergeWordHeap(ids []int32) []int32 {
	m := e.t.merges
	syms := e.syms[:0]
	for i, id := range ids {
		syms = append(syms, symbol{id: id, prev: int32(i - 1), next: int32(i + 1), alive: true})
	}
	syms[len(syms)-1].next = -1
	h := e.heap[:0]
	for i := 0; i+1 < len(syms); i++ {
		if r, id, ok := m.get(syms[i].id, syms[i+1].id); ok {
			h.push(mergeCand{r, int32(i), id})
		}
	}
	for len(h) > 0 {
		top := h.pop()
		s := &syms[top.pos]
		if !s.alive || s.next < 0 {
			continue
		}
		right := syms[s.next]
		if _, id, ok := m.get(s.id, right.id); !ok || id != top.id {
			continue // stale entry
		}
		s.id = top.id
		syms[s.next].alive = false
		s.next = right.next
		if right.next >= 0 {
			syms[right.next].prev = top.pos
		}
		if s.prev >= 0 {
			if r, id, ok := m.get(syms[s.prev].id, s.id); ok {
				h.push(mergeCand{r, s.prev, id})
			}
		}
		if s.next >= 0 {
			if r, id, ok := m.get(s.id, syms[s.next].id); ok {
				h.push(mergeCand{r, top.pos, id})
			}
		}
	}
	out := ids[:0]
	for i := 0; i >= 0 && i < len(syms); i = int(syms[i].next) {
		out = append(out, syms[i].id)
	}
	e.syms, e.heap = syms, h
	return out
}
