// Package cudadev asks the CUDA driver about the GPU (libcuda, found with dlopen at run time,
// so r1go does not link against CUDA): on a machine without the driver its functions return
// an error.
package cudadev

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>

typedef int CUresult;
typedef int CUdevice;

// capability writes device ordinal's compute capability. It returns the driver's result, or -1
// when libcuda cannot be opened, -2 when a symbol is missing.
static int capability(int ordinal, int *major, int *minor) {
	void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
	if (!lib) return -1;
	CUresult (*init)(unsigned) = dlsym(lib, "cuInit");
	CUresult (*device)(CUdevice *, int) = dlsym(lib, "cuDeviceGet");
	CUresult (*attribute)(int *, int, CUdevice) = dlsym(lib, "cuDeviceGetAttribute");
	if (!init || !device || !attribute) return -2;
	CUresult r;
	CUdevice dev;
	if ((r = init(0)) != 0) return r;
	if ((r = device(&dev, ordinal)) != 0) return r;
	if ((r = attribute(major, 75, dev)) != 0) return r; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
	return attribute(minor, 76, dev);                    // ..._MINOR
}
*/
import "C"

import "fmt"

// ComputeCapability is the compute capability of the GPU with this ordinal (e.g. 9, 0 for an
// H100 or H200).
func ComputeCapability(ordinal int) (major, minor int, err error) {
	var ma, mi C.int
	switch r := C.capability(C.int(ordinal), &ma, &mi); r {
	case 0:
		return int(ma), int(mi), nil
	case -1:
		return 0, 0, fmt.Errorf("the CUDA driver (libcuda.so.1) cannot be opened: no NVIDIA GPU here")
	case -2:
		return 0, 0, fmt.Errorf("libcuda.so.1 lacks a driver function it needs")
	default:
		return 0, 0, fmt.Errorf("CUDA error %d asking GPU %d for its compute capability", int(r), ordinal)
	}
}
