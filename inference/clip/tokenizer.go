// Package clip is CLIP's byte-level BPE tokenizer, for the text encoders
// that embed prompts at run time (YOLO-World / YOLOE exports with a
// txt_feats input, CLIP ViT-B/32 and MobileCLIP text towers: int64 ids
// [1, 77] → [1, 512]).
//
// It is written here because no maintained Go package implements CLIP's
// tokenizer (the Hugging Face ones are Rust or Python), and the ids must
// match the reference exactly: a prompt that tokenizes differently embeds
// differently. It follows OpenAI's simple_tokenizer.py: text is
// HTML-unescaped, whitespace-collapsed and lower-cased; split by the same
// pattern (contractions, runs of letters, single digits, runs of other
// symbols); each piece is mapped byte by byte to printable characters and
// merged by the vocabulary's BPE ranks, the last symbol of a word carrying
// "</w>". The one step left out is ftfy's repair of mis-decoded text
// (mojibake), which prompts typed into the app do not need.
package clip

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// Special tokens and the context length of CLIP's text encoders.
const (
	StartOfText   = 49406
	EndOfText     = 49407
	ContextLength = 77
)

// mergesUsed is how many merges CLIP's vocabulary uses: 49152 − 256 − 2.
const mergesUsed = 49152 - 256 - 2

// Tokenizer turns text into CLIP token ids.
type Tokenizer struct {
	encoder map[string]int
	ranks   map[[2]string]int
	byteEnc [256]string

	mu    sync.Mutex
	cache map[string][]int
}

var pattern = regexp.MustCompile(`(?i)<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`)

var spaces = regexp.MustCompile(`\s+`)

// bytesToUnicode is CLIP's reversible map from bytes to printable
// characters: printable Latin-1 bytes map to themselves, the rest to
// code points from 256 up, in byte order.
func bytesToUnicode() [256]string {
	var out [256]string
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	n := 0
	for b := 0; b < 256; b++ {
		if printable(b) {
			out[b] = string(rune(b))
		} else {
			out[b] = string(rune(256 + n))
			n++
		}
	}
	return out
}

// Load reads a BPE vocabulary (bpe_simple_vocab_16e6.txt, gzipped or not).
func Load(path string) (*Tokenizer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("clip: %s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	return Read(r)
}

// Read reads a BPE vocabulary: a header line, then one merge ("a b") a
// line.
func Read(r io.Reader) (*Tokenizer, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	var merges [][2]string
	first := true
	for sc.Scan() {
		if first { // "#version: 0.2"
			first = false
			continue
		}
		if len(merges) == mergesUsed {
			break
		}
		a, b, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			return nil, fmt.Errorf("clip: merge %d is not two symbols: %q", len(merges)+1, sc.Text())
		}
		merges = append(merges, [2]string{a, b})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("clip: %w", err)
	}
	if len(merges) != mergesUsed {
		return nil, fmt.Errorf("clip: the vocabulary has %d merges, CLIP's has %d", len(merges), mergesUsed)
	}
	t := &Tokenizer{encoder: map[string]int{}, ranks: map[[2]string]int{}, byteEnc: bytesToUnicode(), cache: map[string][]int{}}
	// The vocabulary starts with the byte symbols in the order CLIP lists
	// them: printable bytes first, then the others.
	var order []string
	for b := 0; b < 256; b++ {
		if t.byteEnc[b] == string(rune(b)) {
			order = append(order, t.byteEnc[b])
		}
	}
	for b := 0; b < 256; b++ {
		if t.byteEnc[b] != string(rune(b)) {
			order = append(order, t.byteEnc[b])
		}
	}
	vocab := make([]string, 0, 49408)
	vocab = append(vocab, order...)
	for _, s := range order {
		vocab = append(vocab, s+"</w>")
	}
	for i, m := range merges {
		vocab = append(vocab, m[0]+m[1])
		t.ranks[m] = i
	}
	vocab = append(vocab, "<|startoftext|>", "<|endoftext|>")
	for i, v := range vocab {
		t.encoder[v] = i
	}
	if t.encoder["<|startoftext|>"] != StartOfText || t.encoder["<|endoftext|>"] != EndOfText {
		return nil, errors.New("clip: the vocabulary does not put the special tokens at 49406/49407")
	}
	return t, nil
}

// clean is CLIP's basic and whitespace cleaning, then lower case.
func clean(text string) string {
	text = html.UnescapeString(html.UnescapeString(text))
	text = strings.TrimSpace(spaces.ReplaceAllString(strings.TrimSpace(text), " "))
	return strings.ToLower(text)
}

// Encode gives the token ids of text, without the start and end tokens.
func (t *Tokenizer) Encode(text string) []int {
	var ids []int
	for _, piece := range pattern.FindAllString(clean(text), -1) {
		var b strings.Builder
		for i := 0; i < len(piece); i++ {
			b.WriteString(t.byteEnc[piece[i]])
		}
		ids = append(ids, t.bpe(b.String())...)
	}
	return ids
}

// Tokens gives the ids CLIP's text encoder takes: start, the text's ids,
// end, zero padding to ContextLength. Text longer than the context is
// cut, keeping the end token, as CLIP does with truncate=True.
func (t *Tokenizer) Tokens(text string) []int64 {
	ids := t.Encode(text)
	if len(ids) > ContextLength-2 {
		ids = ids[:ContextLength-2]
	}
	out := make([]int64, ContextLength)
	out[0] = StartOfText
	for i, id := range ids {
		out[1+i] = int64(id)
	}
	out[1+len(ids)] = EndOfText
	return out
}

// bpe merges one piece (already byte-mapped) by rank, lowest first.
func (t *Tokenizer) bpe(token string) []int {
	t.mu.Lock()
	if ids, ok := t.cache[token]; ok {
		t.mu.Unlock()
		return ids
	}
	t.mu.Unlock()
	var word []string
	for len(token) > 0 {
		_, n := utf8.DecodeRuneInString(token)
		word = append(word, token[:n])
		token = token[n:]
	}
	key := strings.Join(word, "")
	word[len(word)-1] += "</w>"
	for len(word) > 1 {
		best, bestRank := -1, int(^uint(0)>>1)
		for i := 0; i+1 < len(word); i++ {
			if r, ok := t.ranks[[2]string{word[i], word[i+1]}]; ok && r < bestRank {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			break
		}
		a, b := word[best], word[best+1]
		merged := make([]string, 0, len(word))
		for i := 0; i < len(word); {
			if i+1 < len(word) && word[i] == a && word[i+1] == b {
				merged = append(merged, a+b)
				i += 2
			} else {
				merged = append(merged, word[i])
				i++
			}
		}
		word = merged
	}
	ids := make([]int, len(word))
	for i, w := range word {
		ids[i] = t.encoder[w]
	}
	t.mu.Lock()
	t.cache[key] = ids
	t.mu.Unlock()
	return ids
}
