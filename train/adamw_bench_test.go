package train

import (
	"math"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	r1backend "github.com/r1go/r1go/backend"
)

// qwenLayerShapes are the parameter shapes of one Qwen2-0.5B decoder layer (14.9M
// parameters): attention projections with biases, MLP, two norms.
var qwenLayerShapes = [][]int{
	{896, 896}, {896}, {128, 896}, {128}, {128, 896}, {128}, {896, 896},
	{4864, 896}, {4864, 896}, {896, 4864}, {896}, {896},
}

// BenchmarkAdamWUpdate times one AdamW update (global-norm clipping, decay mask,
// non-finite guard) of a Qwen2-0.5B layer's parameters, buffers donated as in training,
// on the pure Go backend or on the one R1GO_BENCH_BACKEND names (--backend syntax). Compare with BenchmarkAdamWGoLoop, the same arithmetic as a
// plain Go loop over float32 slices.
func BenchmarkAdamWUpdate(b *testing.B) {
	backend := testBackend(b)
	if choice := os.Getenv("R1GO_BENCH_BACKEND"); choice != "" { // e.g. cuda on the GPU machine
		var err error
		if backend, err = r1backend.New(choice); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s", r1backend.Describe(backend))
	n := len(qwenLayerShapes)
	var shp []shapes.Shape
	for _, d := range qwenLayerShapes {
		shp = append(shp, shapes.Make(dtypes.Float32, d...))
	}
	decay := DecayMask(make([]string, n), shp)
	o := AdamW{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, ClipNorm: 1}
	exec, err := graph.NewExec(backend, func(in []*graph.Node) []*graph.Node {
		p, g, m, v := in[:n], in[n:2*n], in[2*n:3*n], in[3*n:4*n]
		np, nm, nv, norm := o.Update(p, g, m, v, decay, in[4*n], in[4*n+1])
		return append(append(append(np, nm...), nv...), norm)
	})
	if err != nil {
		b.Fatal(err)
	}
	var state, grads []*tensors.Tensor
	total := 0
	for k := 0; k < 3; k++ {
		for _, s := range shp {
			state = append(state, tensors.FromShape(s))
		}
	}
	for _, s := range shp {
		g := make([]float32, s.Size())
		for j := range g {
			g[j] = float32(math.Sin(float64(j))) * 1e-3
		}
		grads = append(grads, tensors.FromFlatDataAndDimensions(g, s.Dimensions...))
		total += s.Size()
	}
	run := func(step int) {
		args := make([]any, 0, 4*n+2)
		for _, t := range state[:n] {
			buf, err := graph.DonateTensorBuffer(t, backend, 0)
			if err != nil {
				b.Fatal(err)
			}
			args = append(args, buf)
		}
		for _, g := range grads {
			args = append(args, g)
		}
		for _, t := range state[n:] {
			buf, err := graph.DonateTensorBuffer(t, backend, 0)
			if err != nil {
				b.Fatal(err)
			}
			args = append(args, buf)
		}
		args = append(args, float32(1e-4), int32(step))
		out, err := exec.Exec(args...)
		if err != nil {
			b.Fatal(err)
		}
		state = out[:3*n]
		out[3*n].FinalizeAll()
	}
	run(1) // compile
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		run(i + 2)
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()*1e3/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mparams/s")
}

// BenchmarkAdamWGoLoop is the peer of BenchmarkAdamWUpdate: the same update written as
// one plain Go loop (one goroutine) over float32 slices.
func BenchmarkAdamWGoLoop(b *testing.B) {
	var p, g, m, v [][]float32
	total := 0
	for _, d := range qwenLayerShapes {
		size := 1
		for _, x := range d {
			size *= x
		}
		gi := make([]float32, size)
		for j := range gi {
			gi[j] = float32(math.Sin(float64(j))) * 1e-3
		}
		p, g, m, v = append(p, make([]float32, size)), append(g, gi), append(m, make([]float32, size)), append(v, make([]float32, size))
		total += size
	}
	const beta1, beta2, eps, wd, clip, lr = 0.9, 0.999, 1e-8, 0.1, 1.0, 1e-4
	b.ResetTimer()
	cpu0 := cpuTime()
	for it := 0; it < b.N; it++ {
		t := float64(it + 1)
		var ss float64
		for _, gi := range g {
			for _, x := range gi {
				ss += float64(x) * float64(x)
			}
		}
		coef := float32(math.Min(1, clip/(math.Sqrt(ss)+1e-6)))
		bc1 := float32(1 - math.Pow(beta1, t))
		sbc2 := float32(math.Sqrt(1 - math.Pow(beta2, t)))
		for i := range p {
			decay := len(qwenLayerShapes[i]) >= 2
			pi, gi, mi, vi := p[i], g[i], m[i], v[i]
			for j := range pi {
				gr := gi[j] * coef
				if decay {
					pi[j] *= 1 - lr*wd
				}
				mi[j] = beta1*mi[j] + (1-beta1)*gr
				vi[j] = beta2*vi[j] + (1-beta2)*gr*gr
				pi[j] -= lr / bc1 * mi[j] / (float32(math.Sqrt(float64(vi[j])))/sbc2 + eps)
			}
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()*1e3/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mparams/s")
}

// cpuTime is the CPU time (user + system) this process has used: on a shared machine it
// measures the work done where wall time would measure the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
