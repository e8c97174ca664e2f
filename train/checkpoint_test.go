package train

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeModel is a checkpoint payload: a few files of pseudo-random bytes (sizes vary with
// the step) and their SHA-256 in a manifest, so that a reader can verify the checkpoint.
func writeModel(step int) func(string) error {
	return func(dir string) error {
		r := rand.New(rand.NewPCG(uint64(step), 7))
		manifest := map[string]string{}
		for i, size := range []int{1 << 20, 64 << 10, 3000 + step} {
			data := make([]byte, size)
			for j := range data {
				data[j] = byte(r.Uint32())
			}
			name := fmt.Sprintf("shard-%d.bin", i)
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			manifest[name] = hex.EncodeToString(sum[:])
		}
		js, _ := json.Marshal(manifest)
		return os.WriteFile(filepath.Join(dir, "manifest.json"), js, 0o644)
	}
}

// verifyModel checks every file of a checkpoint against its manifest and the state.
func verifyModel(dir string, step int) error {
	js, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return err
	}
	var manifest map[string]string
	if err := json.Unmarshal(js, &manifest); err != nil {
		return err
	}
	if len(manifest) != 3 {
		return fmt.Errorf("manifest lists %d files", len(manifest))
	}
	for name, want := range manifest {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != want {
			return fmt.Errorf("%s: content does not match its checksum", name)
		}
	}
	s, err := ReadState(dir)
	if err != nil {
		return err
	}
	if s.Step != step || s.DataCursor != int64(step*10) || string(s.RNG["data"]) != "rng-"+strconv.Itoa(step) {
		return fmt.Errorf("trainer state %+v does not belong to step %d", s, step)
	}
	return nil
}

func stateFor(step int) TrainerState {
	return TrainerState{Updates: 2 * step, DataCursor: int64(step * 10), RNG: map[string][]byte{"data": []byte("rng-" + strconv.Itoa(step))},
		Extra: map[string]json.RawMessage{"best_reward": json.RawMessage(`0.5`)}}
}

func TestCheckpointSaveLatestKeep(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Latest(dir); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("Latest of an empty dir: %v, want ErrNoCheckpoint", err)
	}
	if _, _, err := Latest(filepath.Join(dir, "absent")); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("Latest of a missing dir: %v, want ErrNoCheckpoint", err)
	}
	ck := Checkpointer{Keep: 2}
	for _, step := range []int{10, 20, 30} {
		if err := ck.Save(dir, step, writeModel(step), stateFor(step)); err != nil {
			t.Fatal(err)
		}
		got, s, err := Latest(dir)
		if err != nil || s != step || got != filepath.Join(dir, fmt.Sprintf("checkpoint-%d", step)) {
			t.Fatalf("after saving %d: Latest = %s, %d, %v", step, got, s, err)
		}
		if err := verifyModel(got, step); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if fmt.Sprint(names) != "[checkpoint-20 checkpoint-30 latest]" {
		t.Errorf("directory after 3 saves with keep 2: %v", names)
	}
	st, err := ReadState(filepath.Join(dir, "checkpoint-30"))
	if err != nil || st.Updates != 60 || string(st.Extra["best_reward"]) != "0.5" {
		t.Errorf("ReadState = %+v, %v", st, err)
	}

	// A leftover .tmp of a newer step (Save killed midway) is ignored, then cleaned up.
	os.MkdirAll(filepath.Join(dir, "checkpoint-40.tmp"), 0o755)
	os.WriteFile(filepath.Join(dir, "checkpoint-40.tmp", StateFile), []byte(`{"step":40}`), 0o644)
	if _, s, _ := Latest(dir); s != 30 {
		t.Errorf("Latest with a .tmp leftover = %d, want 30", s)
	}
	// A stale latest pointer (naming a deleted checkpoint) falls back to scanning.
	os.WriteFile(filepath.Join(dir, LatestFile), []byte("checkpoint-99\n"), 0o644)
	if _, s, _ := Latest(dir); s != 30 {
		t.Errorf("Latest with a stale pointer = %d, want 30", s)
	}
	// Re-saving an existing step replaces it.
	if err := ck.Save(dir, 30, writeModel(30), stateFor(30)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint-40.tmp")); !os.IsNotExist(err) {
		t.Errorf("the .tmp leftover survived a Save")
	}
	// A failing writer leaves nothing behind and reports the error.
	boom := errors.New("disk full")
	err = ck.Save(dir, 50, func(string) error { return boom }, stateFor(50))
	if !errors.Is(err, boom) {
		t.Errorf("Save with a failing writer = %v", err)
	}
	if _, s, _ := Latest(dir); s != 30 {
		t.Errorf("Latest after a failed save = %d, want 30", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint-50.tmp")); !os.IsNotExist(err) {
		t.Errorf("a failed Save left its .tmp directory")
	}
	// So does a writer that panics.
	err = ck.Save(dir, 60, func(string) error { panic("device buffer gone") }, stateFor(60))
	if err == nil || !strings.Contains(err.Error(), "device buffer gone") {
		t.Errorf("Save with a panicking writer = %v", err)
	}
	if _, s, _ := Latest(dir); s != 30 {
		t.Errorf("Latest after a panicking save = %d, want 30", s)
	}
}

// TestCheckpointKill9 kills a process at random moments while it saves checkpoints in a
// loop; after each kill Latest must return a complete, verifiable checkpoint (once one
// has been written), and a restarted writer continues from it.
func TestCheckpointKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	kills, sawCheckpoint := 0, false
	for round := 0; round < 40; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointWriterProcess$")
		cmd.Env = append(os.Environ(), "R1GO_CHECKPOINT_WRITER_DIR="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the writer is about to save (process start-up time varies with the
		// machine's load), then let it run for a random while: 0 to 3 saves.
		if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
			t.Fatalf("round %d: the writer process did not start: %v", round, err)
		}
		time.Sleep(time.Duration(r.IntN(40000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err == nil {
			kills++
		}
		cmd.Wait()
		path, step, err := Latest(dir)
		if errors.Is(err, ErrNoCheckpoint) && !sawCheckpoint {
			continue // killed before the first checkpoint was complete
		}
		if err != nil {
			t.Fatalf("round %d: Latest: %v", round, err)
		}
		sawCheckpoint = true
		if err := verifyModel(path, step); err != nil {
			t.Fatalf("round %d: Latest returned %s (step %d), which is not complete: %v", round, path, step, err)
		}
		all, _ := completeCheckpoints(dir, false)
		if len(all) > 3 { // Keep 2, plus one saved before its predecessor was pruned
			t.Fatalf("round %d: %d complete checkpoints with keep 2", round, len(all))
		}
	}
	if !sawCheckpoint {
		t.Fatalf("no checkpoint completed in %d rounds", kills)
	}
	_, step, _ := Latest(dir)
	t.Logf("%d kills, last checkpoint step %d", kills, step)
}

// TestCheckpointWriterProcess is the child of TestCheckpointKill9: it resumes from the
// latest checkpoint and saves one per step until it is killed.
func TestCheckpointWriterProcess(t *testing.T) {
	dir := os.Getenv("R1GO_CHECKPOINT_WRITER_DIR")
	if dir == "" {
		t.Skip("run by TestCheckpointKill9")
	}
	step := 0
	if _, s, err := Latest(dir); err == nil {
		step = s
	}
	fmt.Println("ready")
	ck := Checkpointer{Keep: 2}
	for i := 0; i < 1000; i++ {
		step++
		if err := ck.Save(dir, step, writeModel(step), stateFor(step)); err != nil {
			t.Fatal(err)
		}
	}
}
