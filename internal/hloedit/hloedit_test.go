package hloedit

import (
	"strings"
	"testing"

	"github.com/gomlx/go-xla/pkg/stablehlo"
	"github.com/gomlx/go-xla/pkg/types/dtypes"
	"github.com/gomlx/go-xla/pkg/types/shapes"
)

// The rewritten program text holds one custom call with the operands, results, attributes
// and layouts that XLA's parser expects (the form JAX writes), and no placeholder statements.
func TestCustomCallText(t *testing.T) {
	b := stablehlo.New("test")
	fn := b.Main()
	x, err := fn.NamedInput("x", shapes.Make(dtypes.BFloat16, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	zero, err := fn.ConstantFromScalar(float32(0))
	if err != nil {
		t.Fatal(err)
	}
	p1, err := stablehlo.BroadcastInDim(zero, shapes.Make(dtypes.Float32, 3, 2), nil)
	if err != nil {
		t.Fatal(err)
	}
	u8, err := fn.ConstantFromScalar(uint8(0))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := stablehlo.BroadcastInDim(u8, shapes.Make(dtypes.Uint8, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	y, err := stablehlo.Add(p1, p1)
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]any{
		"call_target_name": "__target$x",
		"api_version":      int32(2),
		"backend_config":   `{"a": "0"}`,
		"operand_layouts":  Raw("[" + string(DefaultLayout(2)) + "]"),
		"result_layouts":   Raw("[" + string(Layout(0, 1)) + ", " + string(DefaultLayout(1)) + "]"),
	}
	if err := customCall([]*stablehlo.Value{x}, []*stablehlo.Value{p1, p2}, attrs); err != nil {
		t.Fatal(err)
	}
	if err := fn.Return(y); err != nil {
		t.Fatal(err)
	}
	prog, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	text := string(prog)
	t.Log(text)
	for _, want := range []string{
		`"stablehlo.custom_call"(%x)`,
		`call_target_name = "__target$x"`,
		`api_version = 2 : i32`,
		`backend_config = "{\"a\": \"0\"}"`,
		`operand_layouts = [dense<[1, 0]> : tensor<2xindex>]`,
		`result_layouts = [dense<[0, 1]> : tensor<2xindex>, dense<0> : tensor<1xindex>]`,
		`: (tensor<2x3xbf16>) -> (tensor<3x2xf32>, tensor<0xui8>)`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("program lacks %s", want)
		}
	}
	if n := strings.Count(text, "broadcast_in_dim"); n != 0 {
		t.Errorf("%d placeholder broadcasts left in the program", n)
	}
}
