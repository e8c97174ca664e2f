package backend

import "os"

// AsyncEnv is the environment variable that makes program calls return once their kernels are
// launched, instead of when the device has finished them, in a build with go-xla patched for
// it (scripts/gpu-build.sh ASYNC=1, build tag r1go_goxla_async). Unpatched builds ignore it.
const AsyncEnv = "GOXLA_ASYNC_EXECUTE"

// AsyncExecute reports whether program calls on XLA return without waiting for the device:
// this build has the patch and AsyncEnv is "1".
func AsyncExecute() bool { return asyncPatch && os.Getenv(AsyncEnv) == "1" }

// AsyncIgnored reports that AsyncEnv asks for asynchronous calls that this build cannot make.
func AsyncIgnored() bool { return !asyncPatch && os.Getenv(AsyncEnv) == "1" }
