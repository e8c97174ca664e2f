package tokenizer_test

import (
	"fmt"
	"strings"

	"github.com/r1go/r1go/tokenizer"
)

func ExampleLoad() {
	tok, err := tokenizer.Load("testdata/tiny") // a directory with tokenizer.json, or the file itself
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := tok.Encode("<think>2+2=4</think><|endoftext|>")
	fmt.Println(ids)
	fmt.Printf("%q\n", tok.Decode(ids, false))
	fmt.Printf("%q\n", tok.Decode(ids, true)) // <|endoftext|> is special, <think> is not
	fmt.Println(tok.VocabSize(), tok.EOS())
	// Output:
	// [3 57 50 57 68 59 4 0]
	// "<think>2+2=4</think><|endoftext|>"
	// "<think>2+2=4</think>"
	// 1000 [0 2]
}

func ExampleTemplateByName() {
	tpl, err := tokenizer.TemplateByName("r1")
	if err != nil {
		fmt.Println(err)
		return
	}
	msgs := []tokenizer.Message{{Role: "user", Content: "What is 2+2?"}}
	fmt.Printf("%q\n", tpl.Render(msgs, true))
	zero, _ := tokenizer.TemplateByName("r1zero")
	preamble := tokenizer.R1ZeroPrompt[:strings.Index(tokenizer.R1ZeroPrompt, "User: {prompt}")]
	fmt.Printf("%q\n", strings.TrimPrefix(zero.Render(msgs, true), preamble))
	// Output:
	// "<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜><think>\n"
	// "User: What is 2+2?. Assistant: <think>\n"
}

func ExampleTrain() {
	corpus := strings.Repeat("the cat sat on the mat. ", 100)
	tok, err := tokenizer.Train(strings.NewReader(corpus), 300, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(tok.Encode(" the cat sat")), tok.VocabSize() <= 300)
	// Output:
	// 3 true
}
