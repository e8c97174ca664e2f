package settings

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type cfg struct {
	Name  string   `yaml:"name" help:"a name"`
	Steps int      `yaml:"steps" help:"a count"`
	LR    float64  `yaml:"lr" help:"a rate"`
	On    bool     `yaml:"on" help:"a switch"`
	Items []item   `yaml:"items" help:"structs"`
	Tags  []string `yaml:"tags" help:"strings"`
}

type item struct {
	Weight float64 `yaml:"weight"`
}

func TestSetGet(t *testing.T) {
	c := &cfg{}
	for k, v := range map[string]string{"name": "x y", "steps": "12", "lr": "3e-06", "on": "true"} {
		if err := Set(c, "TEST", k, v); err != nil {
			t.Fatal(err)
		}
		if got, err := Get(c, "TEST", k); err != nil || got != v {
			t.Errorf("Get(%s) = %q, %v; want %q", k, got, err, v)
		}
	}
	for _, bad := range [][2]string{{"steps", "1.5"}, {"lr", "NaN"}, {"on", "maybe"}, {"items", "x"}} {
		if err := Set(c, "TEST", bad[0], bad[1]); err == nil {
			t.Errorf("Set(%s, %q) accepted", bad[0], bad[1])
		}
	}
	if err := Set(c, "TEST", "step", "1"); err == nil || !strings.Contains(err.Error(), `did you mean "steps"`) {
		t.Errorf("unknown key: %v", err)
	}
	if n := len(Keys(reflectTypeOf())); n != 6 {
		t.Errorf("%d keys, want 6", n)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c := cfg{Steps: 7}
	if err := ReadFile(write("ok.yaml", "name: a\nitems:\n  - weight: 2\n"), &c); err != nil || c.Name != "a" || c.Steps != 7 || len(c.Items) != 1 || c.Items[0].Weight != 2 {
		t.Fatalf("ReadFile = %+v, %v", c, err)
	}
	for name, text := range map[string][]string{
		"key.yaml":    {"name: a\nstesp: 3\n", "key.yaml:2", `"stesp"`, `did you mean "steps"`},
		"nested.yaml": {"items:\n  - weight: 1\n  - wieght: 2\n", "nested.yaml:3", `"items[1].wieght"`},
		"type.yaml":   {"steps: ten\n", "type.yaml:1", "cannot unmarshal"},
		"list.yaml":   {"- a\n- b\n", "list.yaml:1", "mapping"},
	} {
		err := ReadFile(write(name, text[0]), &cfg{})
		for _, want := range text[1:] {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want it to contain %q", name, err, want)
			}
		}
	}
}

func reflectTypeOf() reflect.Type { return reflect.TypeOf(cfg{}) }

// A struct-typed field is a section: its keys are checked like the top level's, and the error
// names the section's key path and the line.
func TestReadFileSections(t *testing.T) {
	type outer struct {
		Base  string `yaml:"base"`
		Stage cfg    `yaml:"stage"`
	}
	path := filepath.Join(t.TempDir(), "r.yaml")
	if err := os.WriteFile(path, []byte("base: b\nstage:\n  steps: 3\n  items:\n    - weight: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := outer{Stage: cfg{LR: 0.5}}
	if err := ReadFile(path, &o); err != nil {
		t.Fatal(err)
	}
	if o.Base != "b" || o.Stage.Steps != 3 || o.Stage.LR != 0.5 || len(o.Stage.Items) != 1 {
		t.Errorf("read %+v (the section's unset keys keep their values)", o)
	}
	for text, want := range map[string]string{
		"stage:\n  stepz: 3\n":                `r.yaml:2: unknown key "stage.stepz" (did you mean "stage.steps"?)`,
		"stage:\n  items:\n    - wieght: 1\n": `r.yaml:3: unknown key "stage.items[0].wieght"`,
	} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := ReadFile(path, &outer{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", text, err, want)
		}
	}
}
