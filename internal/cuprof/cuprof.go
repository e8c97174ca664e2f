// Package cuprof starts and stops the CUDA profiler API (cuProfilerStart / cuProfilerStop of
// the driver, found with dlopen at run time) so that a tool run with profiling off at start,
// e.g. Nsight Compute's `ncu --profile-from-start off`, records only a chosen stretch of work:
// a few decode steps in the middle of a benchmark instead of compilation, initialisation and
// prefill. r1go does not link against CUDA; on a machine without the driver Start and Stop
// return an error.
package cuprof

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;

static void *lib;

// profiler calls cuProfilerStart (start != 0) or cuProfilerStop with device 0's primary
// context current on the calling thread (the context XLA computes in). It returns the driver's
// result, or -1 when libcuda cannot be opened, -2 when a symbol is missing.
static int profiler(int start) {
	if (!lib) lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
	if (!lib) return -1;
	CUresult (*init)(unsigned) = dlsym(lib, "cuInit");
	CUresult (*device)(CUdevice *, int) = dlsym(lib, "cuDeviceGet");
	CUresult (*retain)(CUcontext *, CUdevice) = dlsym(lib, "cuDevicePrimaryCtxRetain");
	CUresult (*release)(CUdevice) = dlsym(lib, "cuDevicePrimaryCtxRelease_v2");
	CUresult (*push)(CUcontext) = dlsym(lib, "cuCtxPushCurrent_v2");
	CUresult (*pop)(CUcontext *) = dlsym(lib, "cuCtxPopCurrent_v2");
	CUresult (*fn)(void) = dlsym(lib, start ? "cuProfilerStart" : "cuProfilerStop");
	if (!init || !device || !retain || !release || !push || !pop || !fn) return -2;
	CUresult r;
	CUdevice dev;
	CUcontext ctx, old;
	if ((r = init(0)) != 0) return r;
	if ((r = device(&dev, 0)) != 0) return r;
	if ((r = retain(&ctx, dev)) != 0) return r;
	if ((r = push(ctx)) == 0) {
		r = fn();
		pop(&old);
	}
	release(dev);
	return r;
}
*/
import "C"

import (
	"fmt"
	"runtime"
)

// Start enables the profiling tool's collection (cuProfilerStart).
func Start() error { return call(1, "cuProfilerStart") }

// Stop disables it again (cuProfilerStop).
func Stop() error { return call(0, "cuProfilerStop") }

func call(start C.int, name string) error {
	runtime.LockOSThread() // the context is pushed and popped on this thread
	defer runtime.UnlockOSThread()
	switch r := C.profiler(start); r {
	case 0:
		return nil
	case -1:
		return fmt.Errorf("%s: the CUDA driver (libcuda.so.1) cannot be opened: no NVIDIA GPU here", name)
	case -2:
		return fmt.Errorf("%s: libcuda.so.1 lacks a driver function it needs", name)
	default:
		return fmt.Errorf("%s: CUDA error %d", name, int(r))
	}
}
