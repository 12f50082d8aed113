package clip

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

const shared = "../../../shared/data/tokenizers/clip-bpe"

func load(t testing.TB) *Tokenizer {
	t.Helper()
	p := filepath.Join(shared, "bpe_simple_vocab_16e6.txt.gz")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("../shared absent (%v): skipping the CLIP tokenizer check", err)
	}
	tok, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Every phrase of the reference gives exactly the reference token ids.
func TestReferenceTokenIDs(t *testing.T) {
	tok := load(t)
	b, err := os.ReadFile(filepath.Join(shared, "reference_tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Text string `json:"text"`
			IDs  []int  `json:"ids"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 20 {
		t.Fatalf("%d reference cases", len(ref.Cases))
	}
	for _, c := range ref.Cases {
		got := tok.Tokens(c.Text)
		for i, id := range c.IDs {
			if got[i] != int64(id) {
				t.Errorf("%q: ids %v, want %v", c.Text, got[:len(c.IDs)+1], c.IDs)
				break
			}
		}
		for i := len(c.IDs); i < ContextLength; i++ {
			if got[i] != 0 {
				t.Errorf("%q: not zero-padded after the end token", c.Text)
				break
			}
		}
	}
}

// A text longer than the context keeps its start and end tokens.
func TestTokensTruncate(t *testing.T) {
	tok := load(t)
	long := ""
	for i := 0; i < 100; i++ {
		long += "nodule "
	}
	ids := tok.Tokens(long)
	if len(ids) != ContextLength || ids[0] != StartOfText || ids[ContextLength-1] != EndOfText {
		t.Errorf("truncated ids %v", ids)
	}
}

func TestBytesToUnicodeIsABijection(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range bytesToUnicode() {
		if seen[s] {
			t.Fatalf("%q twice", s)
		}
		seen[s] = true
	}
}

func FuzzEncode(f *testing.F) {
	tok := load(f)
	f.Add("lung nodule")
	f.Add("&amp; 3mm\t\xff\xfe é ü 肺")
	f.Fuzz(func(t *testing.T, s string) {
		for _, id := range tok.Encode(s) {
			if id < 0 || id >= EndOfText+1 {
				t.Fatalf("id %d out of the vocabulary", id)
			}
		}
	})
}

func BenchmarkTokens(b *testing.B) {
	tok := load(b)
	for i := 0; i < b.N; i++ {
		tok.mu.Lock()
		tok.cache = map[string][]int{}
		tok.mu.Unlock()
		tok.Tokens("3mm spiculated nodule in the right upper lobe")
	}
}
