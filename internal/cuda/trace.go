package cuda

/*
#cgo LDFLAGS: -ldl -lpthread
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The few CUPTI declarations the trace needs (r1go is built without CUDA's headers). A kernel
// record (CUpti_ActivityKernel4 .. 10, packed) begins with kind (4 bytes), cache and shared
// memory settings (4), two partitioned-cache settings (8), then the start and end timestamps
// in ns at offsets 16 and 24, and, after the device, context and stream ids, launch shape,
// memory sizes, correlation id and grid id, the kernel's name at offset 104. Kind 10 is
// CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL.
typedef int CUptiResult;
typedef void (*r1_request_fn)(uint8_t **buffer, size_t *size, size_t *max_records);
typedef void (*r1_complete_fn)(void *ctx, uint32_t stream, uint8_t *buffer, size_t size, size_t valid);

enum { r1_kind_kernel = 10, r1_off_start = 16, r1_off_end = 24, r1_off_name = 104 };

typedef struct {
	uint64_t start, end;
	char *name;
} r1_kernel;

static void *cupti;
static CUptiResult (*r1_register)(r1_request_fn, r1_complete_fn);
static CUptiResult (*r1_enable)(int);
static CUptiResult (*r1_disable)(int);
static CUptiResult (*r1_flush)(uint32_t);
static CUptiResult (*r1_next)(uint8_t *, size_t, void **);
static pthread_mutex_t r1_mu = PTHREAD_MUTEX_INITIALIZER;
static r1_kernel *r1_recs;
static size_t r1_n, r1_cap;

static void r1_request(uint8_t **buffer, size_t *size, size_t *max_records) {
	*size = 8 << 20;
	*buffer = aligned_alloc(8, *size);
	*max_records = 0;
}

static void r1_complete(void *ctx, uint32_t stream, uint8_t *buffer, size_t size, size_t valid) {
	void *rec = NULL;
	pthread_mutex_lock(&r1_mu);
	while (valid > 0 && r1_next(buffer, valid, &rec) == 0) {
		uint8_t *p = rec;
		uint32_t kind;
		memcpy(&kind, p, 4);
		if (kind != r1_kind_kernel) continue;
		if (r1_n == r1_cap) {
			size_t cap = r1_cap ? 2 * r1_cap : 4096;
			r1_kernel *grown = realloc(r1_recs, cap * sizeof *grown);
			if (!grown) break;
			r1_recs = grown;
			r1_cap = cap;
		}
		r1_kernel *k = &r1_recs[r1_n++];
		const char *name;
		memcpy(&k->start, p + r1_off_start, 8);
		memcpy(&k->end, p + r1_off_end, 8);
		memcpy(&name, p + r1_off_name, sizeof name);
		k->name = strdup(name ? name : "?");
	}
	pthread_mutex_unlock(&r1_mu);
	free(buffer);
}

// r1_trace_start opens CUPTI at path (once), registers the buffer callbacks and enables
// kernel records. It returns CUPTI's result, -1 when the library cannot be opened, -2 when a
// symbol is missing.
static int r1_trace_start(const char *path) {
	if (!cupti) {
		void *lib = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
		if (!lib) return -1;
		r1_register = dlsym(lib, "cuptiActivityRegisterCallbacks");
		r1_enable = dlsym(lib, "cuptiActivityEnable");
		r1_disable = dlsym(lib, "cuptiActivityDisable");
		r1_flush = dlsym(lib, "cuptiActivityFlushAll");
		r1_next = dlsym(lib, "cuptiActivityGetNextRecord");
		if (!r1_register || !r1_enable || !r1_disable || !r1_flush || !r1_next) return -2;
		CUptiResult r = r1_register(r1_request, r1_complete);
		if (r != 0) return r;
		cupti = lib;
	}
	return r1_enable(r1_kind_kernel);
}

// r1_trace_stop disables kernel records and delivers the buffered ones (forced flush); -3
// when the trace was never started.
static int r1_trace_stop(void) {
	if (!cupti) return -3;
	CUptiResult r = r1_disable(r1_kind_kernel);
	CUptiResult f = r1_flush(1);
	return r != 0 ? r : f;
}

// r1_take hands the records over to the caller (who frees them with r1_free) and starts a new list.
static r1_kernel *r1_take(size_t *n) {
	pthread_mutex_lock(&r1_mu);
	r1_kernel *recs = r1_recs;
	*n = r1_n;
	r1_recs = NULL;
	r1_n = r1_cap = 0;
	pthread_mutex_unlock(&r1_mu);
	return recs;
}

static void r1_free(r1_kernel *recs, size_t n) {
	for (size_t i = 0; i < n; i++) free(recs[i].name);
	free(recs);
}
*/
import "C"

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unsafe"
)

// Kernel is one kernel run, as CUPTI's activity API records it.
type Kernel struct {
	Name       string
	Start, End uint64 // GPU timestamps, ns
}

// CUPTIPaths are where StartTrace looks for CUPTI, in order, when R1GO_CUPTI does not name the
// library: the CUDA toolkit's copy, then the ones Python wheels (PyTorch's nvidia-* packages)
// install.
var CUPTIPaths = []string{
	"/usr/local/cuda/extras/CUPTI/lib64/libcupti.so*",
	"/usr/local/cuda-*/extras/CUPTI/lib64/libcupti.so*",
	"/usr/local/cuda/lib64/libcupti.so*",
	"/opt/torch/.venv/lib/python3*/site-packages/nvidia/*/lib/libcupti.so*",
	"/usr/lib/x86_64-linux-gnu/libcupti.so*",
}

// findCUPTI is R1GO_CUPTI, or the first file CUPTIPaths match.
func findCUPTI() (string, error) {
	if p := os.Getenv("R1GO_CUPTI"); p != "" {
		return p, nil
	}
	for _, pattern := range CUPTIPaths {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[0], nil
		}
	}
	return "", fmt.Errorf("cupti: libcupti.so not found (set R1GO_CUPTI to its path; looked in %s)", strings.Join(CUPTIPaths, ", "))
}

// StartTrace starts recording every kernel the process runs on the GPU, with CUPTI's activity
// API: about a microsecond per kernel, unlike Nsight Compute, which replays each one.
func StartTrace() error {
	path, err := findCUPTI()
	if err != nil {
		return err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	switch r := C.r1_trace_start(cpath); r {
	case 0:
		return nil
	case -1:
		return fmt.Errorf("cupti: %s cannot be opened", path)
	case -2:
		return fmt.Errorf("cupti: %s lacks an activity API function", path)
	default:
		return fmt.Errorf("cupti: starting the kernel trace: CUPTI error %d", int(r))
	}
}

// StopTrace stops recording and returns the kernels recorded since StartTrace, in start order.
func StopTrace() ([]Kernel, error) {
	switch r := C.r1_trace_stop(); r {
	case 0:
	case -3:
		return nil, fmt.Errorf("cupti: the kernel trace was not started")
	default:
		return nil, fmt.Errorf("cupti: stopping the kernel trace: CUPTI error %d", int(r))
	}
	var n C.size_t
	recs := C.r1_take(&n)
	defer C.r1_free(recs, n)
	out := make([]Kernel, int(n))
	for i, r := range unsafe.Slice(recs, int(n)) {
		out[i] = Kernel{Name: C.GoString(r.name), Start: uint64(r.start), End: uint64(r.end)}
	}
	slices.SortFunc(out, func(a, b Kernel) int { return cmp.Compare(a.Start, b.Start) })
	return out, nil
}

// Family is a kernel name without XLA's instance number: gemm_fusion_dot_24 and
// gemm_fusion_dot_25 are both gemm_fusion_dot.
func Family(name string) string {
	trimmed := strings.TrimRight(name, "0123456789")
	if trimmed != name && len(trimmed) > 0 && (trimmed[len(trimmed)-1] == '_' || trimmed[len(trimmed)-1] == '.') {
		return trimmed[:len(trimmed)-1]
	}
	return name
}

// FamilyTime is the kernels of one family in a trace.
type FamilyTime struct {
	Family string
	Count  int
	Total  uint64 // ns
}

// TraceSummary is what a kernel trace says about where the GPU's time went.
type TraceSummary struct {
	Kernels  int
	Span     uint64       // ns from the first kernel's start to the last one's end
	Busy     uint64       // ns in which at least one kernel ran
	Families []FamilyTime // largest total first
	Gaps     [3]GapClass  // the idle gaps between kernels: under 2 µs, 2 to 20 µs, 20 µs or more
}

// GapClass is the idle gaps of one length class in a trace: short ones are the GPU's own
// launch latency (a CUDA graph's), middling ones a host launching kernels one by one slower
// than they run, long ones a stall (a graph's update, a synchronisation, the host's own work).
type GapClass struct {
	Count          int
	Total, Longest uint64 // ns
}

// gapLimits are the upper bounds (ns) of the first two GapClasses.
var gapLimits = [2]uint64{2000, 20000}

// Summarize sums a trace (in start order, as StopTrace returns it) by kernel family.
func Summarize(ks []Kernel) TraceSummary {
	s := TraceSummary{Kernels: len(ks)}
	if len(ks) == 0 {
		return s
	}
	byFamily := map[string]*FamilyTime{}
	var end uint64 // of the busy interval so far
	for i, k := range ks {
		f := byFamily[Family(k.Name)]
		if f == nil {
			f = &FamilyTime{Family: Family(k.Name)}
			byFamily[f.Family] = f
		}
		f.Count++
		f.Total += k.End - k.Start
		switch {
		case i == 0 || k.Start >= end:
			s.Busy += k.End - k.Start
			if i > 0 && k.Start > end {
				s.addGap(k.Start - end)
			}
			end = k.End
		case k.End > end:
			s.Busy += k.End - end
			end = k.End
		}
		s.Span = max(s.Span, k.End-ks[0].Start)
	}
	for _, f := range byFamily {
		s.Families = append(s.Families, *f)
	}
	slices.SortFunc(s.Families, func(a, b FamilyTime) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), strings.Compare(a.Family, b.Family))
	})
	return s
}

func (s *TraceSummary) addGap(ns uint64) {
	c := &s.Gaps[2]
	for i, limit := range gapLimits {
		if ns < limit {
			c = &s.Gaps[i]
			break
		}
	}
	c.Count++
	c.Total += ns
	c.Longest = max(c.Longest, ns)
}

// Report is the summary as text, times divided by per (e.g. the decode calls traced): the
// span, the busy time and the idle rest, then each family's count and time.
func (s TraceSummary) Report(per int) string {
	per = max(per, 1)
	us := func(ns uint64) float64 { return float64(ns) / 1e3 / float64(per) }
	var b strings.Builder
	fmt.Fprintf(&b, "kernel trace: %d kernels; per call %.0f µs from the first kernel's start to the last one's end, %.0f µs with a kernel running, %.0f µs idle\n",
		s.Kernels/per, us(s.Span), us(s.Busy), us(s.Span-s.Busy))
	fmt.Fprintf(&b, "  idle gaps per call: under 2 µs %.1f× %.0f µs; 2-20 µs %.1f× %.0f µs; 20 µs or more %.1f× %.0f µs (longest %.0f µs)\n",
		float64(s.Gaps[0].Count)/float64(per), us(s.Gaps[0].Total), float64(s.Gaps[1].Count)/float64(per), us(s.Gaps[1].Total),
		float64(s.Gaps[2].Count)/float64(per), us(s.Gaps[2].Total), float64(s.Gaps[2].Longest)/1e3)
	for _, f := range s.Families {
		fmt.Fprintf(&b, "  %9.1f µs %5.1f%% %6.1f× %s\n", us(f.Total), 100*float64(f.Total)/float64(max(s.Busy, 1)), float64(f.Count)/float64(per), f.Family)
	}
	return b.String()
}

// Timeline lists the first n kernels of a trace: each one's time and the idle gap before it.
func Timeline(ks []Kernel, n int) string {
	var b strings.Builder
	for i, k := range ks[:min(n, len(ks))] {
		gap := 0.0
		if i > 0 && k.Start > ks[i-1].End {
			gap = float64(k.Start-ks[i-1].End) / 1e3
		}
		fmt.Fprintf(&b, "  %8.1f µs  (idle %5.1f µs before)  %s\n", float64(k.End-k.Start)/1e3, gap, k.Name)
	}
	return b.String()
}
