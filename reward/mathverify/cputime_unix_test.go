//go:build unix

package mathverify

import "syscall"

// cpuSeconds returns the CPU time (user + system) this process has used, so that the
// benchmark can report verifications per CPU-second, which stays meaningful on a
// loaded machine where wall-clock figures do not.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
