package trainer

// Safetensors (https://github.com/huggingface/safetensors) is the weights
// format: an 8-byte little-endian header length N, N bytes of a JSON header
// (optionally padded with spaces) mapping each tensor's name to its dtype,
// shape and data_offsets (relative to the data section), an optional
// "__metadata__" object of string values, then the raw little-endian data.
// Python reads the files EncodeSafetensors renders with
// safetensors.numpy.load_file, and ReadSafetensors reads what
// safetensors.torch.save_file or safetensors.numpy.save_file wrote.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

const (
	safetensorsMetadataKey = "__metadata__"
	// safetensorsMaxHeader is the largest header accepted, the reference
	// implementation's limit.
	safetensorsMaxHeader = 100 << 20
)

// EncodeSafetensors renders p as a safetensors file: float32 tensors with
// Keras's names and shapes, in Keras's order, and metadata (e.g. scenario,
// seed, fingerprint, format "mirrorbench") in __metadata__. The header is
// padded with spaces so that the data section starts at a multiple of 8
// bytes. Storing the bytes (atomically) is the caller's business.
func EncodeSafetensors(p *Params, metadata map[string]string) ([]byte, error) {
	if p == nil {
		return nil, errors.New("no parameters")
	}
	for i, s := range tensorSpecs {
		t := &p.T[i]
		if t.Name != s.name {
			return nil, fmt.Errorf("tensor %d is named %q, want %q", i, t.Name, s.name)
		}
		if !slices.Equal(t.Shape, s.shape) {
			return nil, fmt.Errorf("tensor %s: shape %v, want %v", s.name, t.Shape, s.shape)
		}
		if n := shapeSize(s.shape); len(t.Data) != n {
			return nil, fmt.Errorf("tensor %s: %d values, want %d", s.name, len(t.Data), n)
		}
	}

	var h bytes.Buffer
	h.WriteByte('{')
	if len(metadata) > 0 {
		h.WriteString(`"` + safetensorsMetadataKey + `":{`)
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			v := metadata[k]
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, fmt.Errorf("metadata %q: not valid UTF-8", k)
			}
			if i > 0 {
				h.WriteByte(',')
			}
			writeJSONString(&h, k)
			h.WriteByte(':')
			writeJSONString(&h, v)
		}
		h.WriteString("},")
	}
	var offset int
	for i, t := range p.T {
		if i > 0 {
			h.WriteByte(',')
		}
		writeJSONString(&h, t.Name)
		h.WriteString(`:{"dtype":"F32","shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				h.WriteByte(',')
			}
			fmt.Fprint(&h, d)
		}
		end := offset + 4*len(t.Data)
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, offset, end)
		offset = end
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}

	out := make([]byte, 8, 8+h.Len()+offset)
	binary.LittleEndian.PutUint64(out, uint64(h.Len()))
	out = append(out, h.Bytes()...)
	for _, t := range p.T {
		for _, v := range t.Data {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	return out, nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s) // a string always marshals
	b.Write(q)
}

// ReadSafetensors reads a safetensors file written by any writer (this
// package, Python's safetensors.torch.save_file or safetensors.numpy.save_file,
// ...) and returns the parameters and the __metadata__ (empty, never nil, when
// the file has none). The file must hold exactly the model's six tensors, by
// Keras's names, with dtype F32 and Keras's shapes, in any order; an
// unexpected extra tensor is an error, as are duplicate names, offsets out of
// bounds, overlapping or of the wrong length, and data bytes not covered by a
// tensor (which the reference implementation rejects too). Errors name the
// file and the tensor: "w.safetensors: tensor dense/kernel: shape
// [128 5408], want [5408 128]".
func ReadSafetensors(path string) (*Params, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: not a regular file", path)
	}
	// No file of this model is larger than the largest header and its data.
	if limit := int64(8 + safetensorsMaxHeader + 4*NewParams().Count()); st.Size() > limit {
		return nil, nil, fmt.Errorf("%s: %d bytes, too large for the model's weights (at most %d)", path, st.Size(), limit)
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return decodeSafetensors(path, data)
}

// stEntry is one tensor of a safetensors header.
type stEntry struct {
	index      int // in Params.T
	begin, end uint64
}

// decodeSafetensors parses a whole safetensors file; name is used in errors.
func decodeSafetensors(name string, b []byte) (*Params, map[string]string, error) {
	fail := func(format string, args ...any) (*Params, map[string]string, error) {
		return nil, nil, fmt.Errorf("%s: "+format, append([]any{name}, args...)...)
	}
	if len(b) < 8 {
		return fail("truncated: %d bytes, too short for the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n > uint64(len(b)-8) {
		return fail("header length %d is larger than the file (%d bytes after the length)", n, len(b)-8)
	}
	if n > safetensorsMaxHeader {
		return fail("header length %d exceeds the limit of %d bytes", n, safetensorsMaxHeader)
	}
	header, data := b[8:8+n], b[8+n:]
	if len(header) == 0 || header[0] != '{' {
		return fail("header is not a JSON object")
	}
	if !utf8.Valid(header) {
		return fail("header is not valid UTF-8")
	}

	dec := json.NewDecoder(bytes.NewReader(header))
	if _, err := dec.Token(); err != nil { // the '{' checked above
		return fail("header: %v", err)
	}
	var (
		metadata = map[string]string{}
		seen     = map[string]bool{}
		entries  []stEntry
		found    [NumTensors]bool
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail("header: %v", err)
		}
		key, ok := tok.(string)
		if !ok {
			return fail("header: malformed object key %v", tok)
		}
		if seen[key] {
			return fail("header: duplicate key %q", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fail("header: %v", err)
		}
		if key == safetensorsMetadataKey {
			if string(raw) == "null" {
				continue
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil || m == nil {
				return fail("header: __metadata__ is not a JSON object")
			}
			for k, v := range m {
				var s string
				if err := json.Unmarshal(v, &s); err != nil || string(v) == "null" {
					return fail("header: __metadata__ %q: value %s is not a string", k, v)
				}
				metadata[k] = s
			}
			continue
		}
		idx := tensorIndex(key)
		if idx < 0 {
			return fail("tensor %s: unexpected tensor (the model has exactly %s)", key, tensorNames())
		}
		e, err := parseTensorInfo(idx, raw)
		if err != nil {
			return fail("tensor %s: %v", key, err)
		}
		found[idx] = true
		entries = append(entries, e)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return fail("header: malformed JSON object")
	}
	if rest := header[dec.InputOffset():]; len(bytes.Trim(rest, " \t\r\n")) != 0 {
		return fail("header: unexpected data after the JSON object")
	}
	for i, ok := range found {
		if !ok {
			return fail("tensor %s: missing", tensorSpecs[i].name)
		}
	}

	// Offsets: in bounds, of the right length, and tiling the data section.
	for _, e := range entries {
		s := tensorSpecs[e.index]
		if e.begin > e.end || e.end > uint64(len(data)) {
			return fail("tensor %s: data_offsets [%d %d] out of bounds (the data section has %d bytes)", s.name, e.begin, e.end, len(data))
		}
		if want := 4 * uint64(shapeSize(s.shape)); e.end-e.begin != want {
			return fail("tensor %s: data_offsets [%d %d] span %d bytes, want %d (4 x %d values)", s.name, e.begin, e.end, e.end-e.begin, want, want/4)
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].begin < entries[j].begin })
	var pos uint64
	for i, e := range entries {
		if e.begin < pos {
			prev := entries[i-1]
			return fail("tensors %s [%d %d] and %s [%d %d] overlap", tensorSpecs[prev.index].name, prev.begin, prev.end, tensorSpecs[e.index].name, e.begin, e.end)
		}
		if e.begin > pos {
			return fail("data bytes [%d %d] belong to no tensor", pos, e.begin)
		}
		pos = e.end
	}
	if pos != uint64(len(data)) {
		return fail("data bytes [%d %d] belong to no tensor", pos, len(data))
	}

	p := NewParams()
	for _, e := range entries {
		src, dst := data[e.begin:e.end], p.T[e.index].Data
		for j := range dst {
			dst[j] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*j:]))
		}
	}
	return p, metadata, nil
}

// parseTensorInfo checks one tensor's {"dtype", "shape", "data_offsets"}
// against the model's tensor idx.
func parseTensorInfo(idx int, raw json.RawMessage) (stEntry, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return stEntry{}, errors.New("not a JSON object with dtype, shape and data_offsets")
	}
	for _, k := range []string{"dtype", "shape", "data_offsets"} {
		if _, ok := fields[k]; !ok {
			return stEntry{}, fmt.Errorf("%s missing", k)
		}
	}
	var dtype string
	if err := json.Unmarshal(fields["dtype"], &dtype); err != nil {
		return stEntry{}, fmt.Errorf("dtype: %v", err)
	}
	var shape, offsets []uint64
	if err := json.Unmarshal(fields["shape"], &shape); err != nil || shape == nil {
		return stEntry{}, fmt.Errorf("shape %s: not a list of dimensions", fields["shape"])
	}
	if err := json.Unmarshal(fields["data_offsets"], &offsets); err != nil || len(offsets) != 2 {
		return stEntry{}, fmt.Errorf("data_offsets %s: not [begin, end]", fields["data_offsets"])
	}
	if dtype != "F32" {
		return stEntry{}, fmt.Errorf("dtype %s, want F32", dtype)
	}
	want := tensorSpecs[idx].shape
	same := len(shape) == len(want)
	for i := 0; same && i < len(shape); i++ {
		same = shape[i] == uint64(want[i])
	}
	if !same {
		return stEntry{}, fmt.Errorf("shape %v, want %v", shape, want)
	}
	return stEntry{index: idx, begin: offsets[0], end: offsets[1]}, nil
}

// tensorIndex is the index in Params.T of the tensor named name, or -1.
func tensorIndex(name string) int {
	for i, s := range tensorSpecs {
		if s.name == name {
			return i
		}
	}
	return -1
}

func tensorNames() string {
	names := make([]string, len(tensorSpecs))
	for i, s := range tensorSpecs {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

func shapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
