package yolo

import (
	"context"
	"fmt"
	"math"

	"delineate/inference"
	"delineate/inference/clip"
)

// TextEncoder embeds prompt phrases with a CLIP-style text tower (int64
// token ids [1, 77] → [1, D]) through the Go CLIP tokenizer; embeddings
// are L2-normalised, as txt_feats inputs expect.
type TextEncoder struct {
	Graph  inference.Graph
	Tok    *clip.Tokenizer
	Input  string
	Output string
}

// OpenTextEncoder opens a text encoder export with its BPE vocabulary.
// input and output name its tensors ("" for input_ids / text_embeds).
func OpenTextEncoder(b inference.GraphBackend, path, vocab, input, output, device string, threads int) (*TextEncoder, error) {
	if input == "" {
		input = "input_ids"
	}
	if output == "" {
		output = "text_embeds"
	}
	tok, err := clip.Load(vocab)
	if err != nil {
		return nil, err
	}
	g, err := b.OpenGraph(inference.GraphSpec{Path: path, Inputs: []string{input}, Outputs: []string{output}, Device: device, Threads: threads})
	if err != nil {
		return nil, err
	}
	return &TextEncoder{Graph: g, Tok: tok, Input: input, Output: output}, nil
}

// Close releases the network.
func (e *TextEncoder) Close() { e.Graph.Close() }

// Embed gives each phrase's unit-length embedding.
func (e *TextEncoder) Embed(ctx context.Context, phrases []string) ([][]float32, error) {
	var out [][]float32
	for _, p := range phrases {
		ids := e.Tok.Tokens(p)
		res, err := e.Graph.Run(ctx, map[string]inference.Value{e.Input: {Shape: []int64{1, clip.ContextLength}, I64: ids}}, []string{e.Output})
		if err != nil {
			return nil, fmt.Errorf("text encoder, %q: %w", p, err)
		}
		v := res[e.Output].F32
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if n == 0 {
			return nil, fmt.Errorf("text encoder: %q embeds to zero", p)
		}
		s := float32(1 / math.Sqrt(n))
		emb := make([]float32, len(v))
		for i, x := range v {
			emb[i] = x * s
		}
		out = append(out, emb)
	}
	return out, nil
}
