// Package cuda reaches NVIDIA's driver and CUPTI at run time (dlopen: r1go does not link
// against CUDA; on a machine without them every function returns an error):
//   - Start and Stop call the CUDA profiler API (cuProfilerStart / cuProfilerStop), so that a
//     tool run with profiling off at start, e.g. Nsight Compute's `ncu --profile-from-start
//     off`, records only a chosen stretch of work: a few decode steps in the middle of a
//     benchmark instead of compilation, initialisation and prefill;
//   - StartTrace and StopTrace record the kernels the process runs with CUPTI (trace.go);
//   - ComputeCapability asks the driver which GPU this is.
package cuda

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;

static void *lib;

// device opens the driver (once), initialises it and gets device ordinal. It returns the
// driver's result, or -1 when libcuda cannot be opened.
static int device(int ordinal, CUdevice *dev) {
	if (!lib) lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
	if (!lib) return -1;
	CUresult (*init)(unsigned) = dlsym(lib, "cuInit");
	CUresult (*get)(CUdevice *, int) = dlsym(lib, "cuDeviceGet");
	if (!init || !get) return -2;
	CUresult r = init(0);
	return r != 0 ? r : get(dev, ordinal);
}

// profiler calls cuProfilerStart (start != 0) or cuProfilerStop with device 0's primary
// context current on the calling thread (the context XLA computes in). It returns the driver's
// result, or -1 when libcuda cannot be opened, -2 when a symbol is missing.
static int profiler(int start) {
	CUdevice dev;
	CUresult r = device(0, &dev);
	if (r != 0) return r;
	CUresult (*retain)(CUcontext *, CUdevice) = dlsym(lib, "cuDevicePrimaryCtxRetain");
	CUresult (*release)(CUdevice) = dlsym(lib, "cuDevicePrimaryCtxRelease_v2");
	CUresult (*push)(CUcontext) = dlsym(lib, "cuCtxPushCurrent_v2");
	CUresult (*pop)(CUcontext *) = dlsym(lib, "cuCtxPopCurrent_v2");
	CUresult (*fn)(void) = dlsym(lib, start ? "cuProfilerStart" : "cuProfilerStop");
	if (!retain || !release || !push || !pop || !fn) return -2;
	CUcontext ctx, old;
	if ((r = retain(&ctx, dev)) != 0) return r;
	if ((r = push(ctx)) == 0) {
		r = fn();
		pop(&old);
	}
	release(dev);
	return r;
}

// capability writes device ordinal's compute capability; results as profiler's.
static int capability(int ordinal, int *major, int *minor) {
	CUdevice dev;
	CUresult r = device(ordinal, &dev);
	if (r != 0) return r;
	CUresult (*attribute)(int *, int, CUdevice) = dlsym(lib, "cuDeviceGetAttribute");
	if (!attribute) return -2;
	if ((r = attribute(major, 75, dev)) != 0) return r; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
	return attribute(minor, 76, dev);                    // ..._MINOR
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
	return driverError(C.profiler(start), name)
}

// ComputeCapability is the compute capability of the GPU with this ordinal (e.g. 9, 0 for an
// H100 or H200).
func ComputeCapability(ordinal int) (major, minor int, err error) {
	var ma, mi C.int
	if err := driverError(C.capability(C.int(ordinal), &ma, &mi), fmt.Sprintf("compute capability of GPU %d", ordinal)); err != nil {
		return 0, 0, err
	}
	return int(ma), int(mi), nil
}

// driverError is the error of a driver call's result r (the C helpers' -1 and -2 included).
func driverError(r C.int, what string) error {
	switch r {
	case 0:
		return nil
	case -1:
		return fmt.Errorf("%s: the CUDA driver (libcuda.so.1) cannot be opened: no NVIDIA GPU here", what)
	case -2:
		return fmt.Errorf("%s: libcuda.so.1 lacks a driver function it needs", what)
	default:
		return fmt.Errorf("%s: CUDA error %d", what, int(r))
	}
}
