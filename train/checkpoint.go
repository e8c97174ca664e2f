package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/r1go/r1go/internal/guard"
)

// Names of the files and directories of a training output directory:
//
//	<out>/checkpoint-<step>/      one complete checkpoint (model files, OptimizerFile, StateFile)
//	<out>/checkpoint-<step>.tmp/  a checkpoint being written (ignored; removed by the next Save)
//	<out>/latest                  the name of the newest checkpoint, replaced atomically
const (
	StateFile        = "trainer_state.json"
	OptimizerFile    = "optimizer.safetensors"
	LatestFile       = "latest"
	checkpointPrefix = "checkpoint-"
	tmpSuffix        = ".tmp"
	deletingSuffix   = ".deleting"
	replacedSuffix   = ".replaced"
)

// ErrNoCheckpoint is wrapped by Latest when a directory holds no complete checkpoint.
var ErrNoCheckpoint = errors.New("no complete checkpoint")

// TrainerState is what a run needs, besides weights and optimizer moments, to resume
// exactly where it stopped. It is stored as StateFile in each checkpoint.
type TrainerState struct {
	Step       int                        `json:"step"`            // training steps completed
	Updates    int                        `json:"updates"`         // optimizer updates completed (Adam's t, the schedule's position)
	Epoch      int                        `json:"epoch"`           // passes over the data completed
	DataCursor int64                      `json:"data_cursor"`     // position in the (shuffled) data of the current epoch
	RNG        map[string][]byte          `json:"rng,omitempty"`   // serialised random generator states, by name
	NaNInARow  int                        `json:"nan_in_a_row"`    // NaNGuard.InARow at the checkpoint
	Extra      map[string]json.RawMessage `json:"extra,omitempty"` // anything else a trainer wants back
}

// ReadState reads the StateFile of a checkpoint directory.
func ReadState(dir string) (TrainerState, error) {
	var s TrainerState
	path := filepath.Join(dir, StateFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("reading trainer state: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%s: malformed trainer state: %w", path, err)
	}
	return s, nil
}

// Checkpointer writes crash-safe checkpoints into a training output directory and keeps
// the Keep most recent ones (Keep <= 0 keeps them all).
type Checkpointer struct {
	Keep int
}

// Save writes the checkpoint of step into dir/checkpoint-<step>. It creates
// dir/checkpoint-<step>.tmp, lets write fill it (model weights, config, tokenizer,
// optimizer moments: see SaveMoments), adds StateFile with state (state.Step is set to
// step), fsyncs everything, renames the directory to checkpoint-<step>, points
// dir/latest at it (write to a temporary file, fsync, rename) and deletes the oldest
// checkpoints beyond Keep (so at most Keep + 1 exist at any moment). A process killed at any moment leaves the previous
// checkpoints intact and Latest never returns a partial one; leftovers of a killed Save
// are removed by the next one.
func (c Checkpointer) Save(dir string, step int, write func(tmpDir string) error, state TrainerState) error {
	if step < 0 {
		return fmt.Errorf("saving checkpoint: step %d is negative", step)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	if err := removeLeftovers(dir); err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	if c.Keep > 0 {
		// A Save killed between its rename and its pruning leaves one checkpoint too many;
		// prune those first so that there are never more than Keep + 1.
		if err := prune(dir, c.Keep, -1); err != nil {
			return fmt.Errorf("saving checkpoint: removing old checkpoints: %w", err)
		}
	}
	name := checkpointPrefix + strconv.Itoa(step)
	final := filepath.Join(dir, name)
	tmp := final + tmpSuffix
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	fail := func(err error) error {
		os.RemoveAll(tmp)
		return fmt.Errorf("saving checkpoint %s: %w", final, err)
	}
	if write != nil {
		var werr error
		if err := guard.Run(func() { werr = write(tmp) }); err != nil {
			werr = err // a panic in the writer (e.g. while fetching device buffers)
		}
		if werr != nil {
			return fail(werr)
		}
	}
	state.Step = step
	js, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return fail(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, StateFile), append(js, '\n'), 0o644); err != nil {
		return fail(err)
	}
	if err := syncTree(tmp); err != nil {
		return fail(err)
	}
	// Replace an existing checkpoint of the same step (a run resumed from an earlier one).
	replaced := ""
	if _, err := os.Stat(final); err == nil {
		replaced = final + replacedSuffix
		os.RemoveAll(replaced)
		if err := os.Rename(final, replaced); err != nil {
			return fail(err)
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return fail(err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("saving checkpoint %s: %w", final, err)
	}
	if replaced != "" {
		os.RemoveAll(replaced)
	}
	if err := writeFileAtomic(filepath.Join(dir, LatestFile), []byte(name+"\n")); err != nil {
		return fmt.Errorf("saving checkpoint %s: updating %s: %w", final, LatestFile, err)
	}
	if c.Keep > 0 {
		if err := prune(dir, c.Keep, step); err != nil {
			return fmt.Errorf("saving checkpoint %s: removing old checkpoints: %w", final, err)
		}
	}
	return nil
}

// Latest returns the newest complete checkpoint of a training output directory and its
// step: the one dir/latest names if it is complete, else the complete checkpoint with the
// highest step. A checkpoint is complete when its directory has its final name and its
// StateFile records its step; .tmp directories of an interrupted Save are ignored. With
// none, the error wraps ErrNoCheckpoint.
func Latest(dir string) (string, int, error) {
	if data, err := os.ReadFile(filepath.Join(dir, LatestFile)); err == nil {
		name := strings.TrimSpace(string(data))
		if step, ok := parseCheckpointName(name); ok && complete(filepath.Join(dir, name), step) {
			return filepath.Join(dir, name), step, nil
		}
	}
	all, err := completeCheckpoints(dir, true)
	if err != nil {
		return "", -1, err
	}
	if len(all) == 0 {
		return "", -1, fmt.Errorf("%s: %w", dir, ErrNoCheckpoint)
	}
	best := all[len(all)-1]
	return filepath.Join(dir, best.name), best.step, nil
}

type checkpointEntry struct {
	name string
	step int
}

// parseCheckpointName parses "checkpoint-<step>".
func parseCheckpointName(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, checkpointPrefix)
	if !ok {
		return 0, false
	}
	step, err := strconv.Atoi(rest)
	if err != nil || step < 0 || strconv.Itoa(step) != rest {
		return 0, false
	}
	return step, true
}

// complete reports whether path is a finished checkpoint of step.
func complete(path string, step int) bool {
	s, err := ReadState(path)
	return err == nil && s.Step == step
}

// completeCheckpoints lists the complete checkpoints of dir by increasing step; with
// withReplaced it also counts a checkpoint moved aside by a Save that was killed before
// it could rename its replacement into place.
func completeCheckpoints(dir string, withReplaced bool) ([]checkpointEntry, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", dir, ErrNoCheckpoint)
		}
		return nil, fmt.Errorf("listing checkpoints: %w", err)
	}
	var out []checkpointEntry
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		base := name
		if withReplaced {
			base = strings.TrimSuffix(name, replacedSuffix)
		}
		step, ok := parseCheckpointName(base)
		if !ok || !complete(filepath.Join(dir, name), step) {
			continue
		}
		if base != name && fileExists(filepath.Join(dir, base)) {
			continue // the replacement is in place
		}
		out = append(out, checkpointEntry{name, step})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].step < out[j].step })
	return out, nil
}

// prune deletes the oldest complete checkpoints so that keep remain, never the one of
// step current. Each is renamed out of the checkpoint namespace before it is deleted, so
// a half-deleted directory never looks complete.
func prune(dir string, keep, current int) error {
	all, err := completeCheckpoints(dir, false)
	if err != nil {
		return err
	}
	for i := 0; i < len(all)-keep; i++ {
		if all[i].step == current {
			continue
		}
		path := filepath.Join(dir, all[i].name)
		if err := os.Rename(path, path+deletingSuffix); err != nil {
			return err
		}
		if err := os.RemoveAll(path + deletingSuffix); err != nil {
			return err
		}
	}
	return nil
}

// removeLeftovers deletes what interrupted Saves left: .tmp and .deleting directories,
// and a moved-aside .replaced checkpoint whose replacement is in place.
func removeLeftovers(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, checkpointPrefix) {
			continue
		}
		switch {
		case strings.HasSuffix(name, tmpSuffix), strings.HasSuffix(name, deletingSuffix):
		case strings.HasSuffix(name, replacedSuffix) && fileExists(filepath.Join(dir, strings.TrimSuffix(name, replacedSuffix))):
		default:
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// syncTree fsyncs every file and directory under root.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
			return fmt.Errorf("fsync %s: %w", path, err)
		}
		return nil
	})
}

// ResumeFrom decides where a training run writing into out starts. With resume it is the
// latest complete checkpoint in out (resumed, at its step), or model when out holds none.
// Without resume it is model, and an out that already holds a run (a checkpoint or a
// non-empty metrics.jsonl) is an error: a new run would delete that run's checkpoints and
// overwrite its metrics.
func ResumeFrom(out, model string, resume bool) (from string, step int, resumed bool, err error) {
	dir, step, err := Latest(out)
	switch {
	case err != nil && !errors.Is(err, ErrNoCheckpoint):
		return "", 0, false, err
	case err == nil && resume:
		return dir, step, true, nil
	case err == nil:
		return "", 0, false, fmt.Errorf("%s already holds a run (checkpoint at step %d): pass --resume to continue it, or choose another output directory", out, step)
	}
	if st, err := os.Stat(filepath.Join(out, "metrics.jsonl")); err == nil && st.Size() > 0 && !resume {
		return "", 0, false, fmt.Errorf("%s already holds a run (metrics.jsonl, no checkpoint yet): pass --resume to start it again from the model, or choose another output directory", out)
	}
	return model, 0, false, nil
}
