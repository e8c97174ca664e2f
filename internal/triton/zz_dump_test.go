package triton

import (
	"os"
	"testing"
)

func TestZZDump(t *testing.T) {
	a := DecodeAttention{Rows: 8, KVHeads: 2, Group: 7, HeadDim: 64, Slots: 320, Scale: 0.125}
	k, _ := a.Kernel()
	s, _ := a.SharedKernel(4, 192)
	os.WriteFile(os.Getenv("DUMP"), []byte(k.IR+s.IR), 0o644)
}
