package data_test

import (
	"math/rand/v2"
	"testing"

	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/reward"
)

// TestTaskRewardsScoreReferenceAnswers checks each task's reward spec against the real
// reward package: a well-formed response with the reference answer gets the full
// reward, a wrong one gets no accuracy credit.
func TestTaskRewardsScoreReferenceAnswers(t *testing.T) {
	cases := []struct {
		task    string
		right   func(ex data.Example) string
		wrong   func(ex data.Example) string
		maxGood float64 // total reward of the right response
	}{
		{"countdown",
			func(ex data.Example) string {
				return "<think>combine them</think> <answer>" + ex.Fields["solution"].(string) + "</answer>"
			},
			func(ex data.Example) string { return "<think>guess</think> <answer>1 + 1</answer>" },
			2},
		{"arith:4",
			func(ex data.Example) string { return "<think>work</think> <answer>" + ex.Answer + "</answer>" },
			func(ex data.Example) string { return "<think>work</think> <answer>" + ex.Answer + "1</answer>" },
			2},
		{"copy-digit",
			func(ex data.Example) string { return "<think>copy</think> <answer>" + ex.Answer + "</answer>" },
			func(ex data.Example) string { return "<think>copy</think> <answer>" + ex.Answer + "1</answer>" },
			2},
	}
	for _, c := range cases {
		t.Run(c.task, func(t *testing.T) {
			task, err := data.TaskByName(c.task)
			if err != nil {
				t.Fatal(err)
			}
			comp, err := reward.ParseSpec(task.Reward())
			if err != nil {
				t.Fatalf("reward spec %q: %v", task.Reward(), err)
			}
			exs := task.Test(50)
			var good, bad []reward.Sample
			for _, ex := range exs {
				good = append(good, reward.Sample{Prompt: ex.Prompt, Completion: c.right(ex), Gold: ex.Answer, Fields: ex.Fields})
				bad = append(bad, reward.Sample{Prompt: ex.Prompt, Completion: c.wrong(ex), Gold: ex.Answer, Fields: ex.Fields})
			}
			for i, tot := range comp.ScoreAll(good) {
				if !tot.Correct || tot.Reward != c.maxGood || tot.Err != nil {
					t.Fatalf("%s: right response %q scored %+v, want correct with reward %v", exs[i].ID, good[i].Completion, tot, c.maxGood)
				}
			}
			for i, tot := range comp.ScoreAll(bad) {
				if tot.Correct || tot.Err != nil {
					t.Fatalf("%s: wrong response %q scored %+v", exs[i].ID, bad[i].Completion, tot)
				}
			}
		})
	}
}

// TestCopyDigitRewardIsDense measures the reward a policy that knows nothing gets on
// copy-digit: completions of 16 characters drawn uniformly from a 40-symbol alphabet
// (digits, lowercase letters, space and punctuation, like a tiny char-level vocabulary).
// About one in fourteen is right by chance, so with 8 samples per prompt most GRPO
// groups hold both right and wrong samples and carry a learning signal from step one.
func TestCopyDigitRewardIsDense(t *testing.T) {
	task, _ := data.TaskByName("copy-digit")
	comp, err := reward.ParseSpec(task.Reward())
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz .:-"
	r := rand.New(rand.NewPCG(1, 2))
	exs := task.Train(0, 256)
	const G = 8
	var samples []reward.Sample
	for _, ex := range exs {
		for range G {
			b := make([]byte, 16)
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
			samples = append(samples, reward.Sample{Prompt: ex.Prompt, Completion: string(b), Gold: ex.Answer})
		}
	}
	totals := comp.ScoreAll(samples)
	right, mixed := 0, 0
	for g := 0; g < len(exs); g++ {
		n := 0
		for _, tot := range totals[g*G : (g+1)*G] {
			if tot.Correct {
				n++
			}
		}
		right += n
		if n > 0 && n < G {
			mixed++
		}
	}
	rate := float64(right) / float64(len(samples))
	mixedShare := float64(mixed) / float64(len(exs))
	t.Logf("random policy: %.1f%% of samples right, %.0f%% of groups of %d with a non-zero reward spread", 100*rate, 100*mixedShare, G)
	if rate < 0.04 || rate > 0.12 {
		t.Errorf("chance success rate %.3f outside [0.04, 0.12]", rate)
	}
	if mixedShare < 0.3 {
		t.Errorf("only %.2f of groups carry a signal", mixedShare)
	}
}
