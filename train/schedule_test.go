package train

import (
	"math"
	"strings"
	"testing"
)

func TestScheduleLR(t *testing.T) {
	cos := Schedule{Kind: "cosine", Peak: 5e-5, Floor: 5e-6, Warmup: 10, Total: 110}
	lin := Schedule{Kind: "linear", Peak: 1e-3, Floor: 0, Warmup: 4, Total: 14}
	con := Schedule{Kind: "constant", Peak: 3e-6, Warmup: 5, Total: 100}
	noWarm := Schedule{Kind: "cosine", Peak: 1, Floor: 0, Total: 4}
	tests := []struct {
		name string
		s    Schedule
		step int
		want float64
	}{
		{"cosine warmup start", cos, 0, 5e-6},            // 5e-5·1/10
		{"cosine warmup middle", cos, 4, 2.5e-5},         // 5e-5·5/10
		{"cosine warmup end reaches peak", cos, 9, 5e-5}, // 5e-5·10/10
		{"cosine decay start", cos, 10, 5e-5},
		{"cosine quarter", cos, 35, 5e-6 + 4.5e-5*(1+math.Sqrt2/2)/2},
		{"cosine middle", cos, 60, 5e-6 + 4.5e-5/2},
		{"cosine three quarters", cos, 85, 5e-6 + 4.5e-5*(1-math.Sqrt2/2)/2},
		{"cosine end is the floor", cos, 110, 5e-6},
		{"cosine past the end stays at the floor", cos, 1000, 5e-6},
		{"negative step is the first", cos, -3, 5e-6},
		{"linear warmup", lin, 1, 5e-4},
		{"linear middle", lin, 9, 5e-4},
		{"linear end", lin, 14, 0},
		{"constant warmup", con, 2, 3e-6 * 3 / 5},
		{"constant after warmup", con, 5, 3e-6},
		{"constant far", con, 10000, 3e-6},
		{"no warmup starts at peak", noWarm, 0, 1},
		{"no warmup cosine half", noWarm, 2, 0.5},
	}
	for _, tc := range tests {
		if got := tc.s.LR(tc.step); math.Abs(got-tc.want) > 1e-12*math.Max(1, tc.want) {
			t.Errorf("%s: LR(%d) = %.10g, want %.10g", tc.name, tc.step, got, tc.want)
		}
	}
}

func TestScheduleValidate(t *testing.T) {
	tests := []struct {
		s    Schedule
		want string // "" for valid
	}{
		{Schedule{Kind: "cosine", Peak: 1e-5, Floor: 1e-6, Warmup: 10, Total: 100}, ""},
		{Schedule{Kind: "constant", Peak: 3e-6, Total: 0}, ""},
		{Schedule{Kind: "exp", Peak: 1e-5, Total: 10}, "constant, cosine, linear"},
		{Schedule{Kind: "cosine", Peak: 0, Total: 10}, "learning rate"},
		{Schedule{Kind: "cosine", Peak: 1e-5, Floor: 1e-4, Total: 10}, "lr floor"},
		{Schedule{Kind: "linear", Peak: 1e-5, Warmup: -1, Total: 10}, "warmup"},
		{Schedule{Kind: "cosine", Peak: 1e-5, Warmup: 10, Total: 10}, "total steps"},
	}
	for _, tc := range tests {
		err := tc.s.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Validate(%+v) = %v, want nil", tc.s, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Validate(%+v) = %v, want an error mentioning %q", tc.s, err, tc.want)
		}
	}
}
