package trainer

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSafetensorsRoundTrip(t *testing.T) {
	p := NewParams()
	InitKeras(p, 7)
	// Values a float32 round trip through text would not keep.
	p.T[ConvB].Data[0] = float32(math.Inf(-1))
	p.T[OutB].Data[9] = math.Float32frombits(0x00000001) // smallest denormal
	p.T[DenseB].Data[3] = float32(math.Copysign(0, -1))
	meta := map[string]string{
		"format":      "mirrorbench",
		"scenario":    "mirrored-4 \"quoted\" <&> é",
		"seed":        "7",
		"fingerprint": p.Fingerprint(),
		"":            "empty key",
	}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := writeSafetensors(path, p, meta); err != nil {
		t.Fatal(err)
	}
	q, got, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if q.Fingerprint() != p.Fingerprint() {
		t.Errorf("fingerprint %s after the round trip, want %s", q.Fingerprint(), p.Fingerprint())
	}
	for i := range p.T {
		if q.T[i].Name != p.T[i].Name || fmt.Sprint(q.T[i].Shape) != fmt.Sprint(p.T[i].Shape) {
			t.Errorf("tensor %d: %s %v, want %s %v", i, q.T[i].Name, q.T[i].Shape, p.T[i].Name, p.T[i].Shape)
		}
	}
	if len(got) != len(meta) {
		t.Errorf("metadata %v, want %v", got, meta)
	}
	for k, v := range meta {
		if got[k] != v {
			t.Errorf("metadata[%q] = %q, want %q", k, got[k], v)
		}
	}

	// Layout: header padded to a multiple of 8, tensors in Keras's order.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	if n%8 != 0 {
		t.Errorf("header length %d, want a multiple of 8", n)
	}
	if want := 8 + int(n) + 4*693962; len(b) != want {
		t.Errorf("file is %d bytes, want %d", len(b), want)
	}
	h := string(b[8 : 8+n])
	last := -1
	for _, name := range []string{"__metadata__", "conv2d/kernel", "conv2d/bias", "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"} {
		i := strings.Index(h, `"`+name+`"`)
		if i <= last {
			t.Errorf("header %q: %s out of order", h, name)
		}
		last = i
	}
	if !strings.Contains(h, `"dense/kernel":{"dtype":"F32","shape":[5408,128],"data_offsets":[1280,2770176]}`) {
		t.Errorf("header %q: dense/kernel entry not as expected", h)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("folder holds %d entries after the write, want only the file", len(entries))
	}

	// Without metadata: no __metadata__ key, an empty map back.
	if err := writeSafetensors(path, p, nil); err != nil {
		t.Fatal(err)
	}
	_, got, err = ReadSafetensors(path)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("no metadata: got %v, %v; want an empty map", got, err)
	}
}

func TestSafetensorsWriteRejectsBadParams(t *testing.T) {
	dir := t.TempDir()
	p := NewParams()
	p.T[DenseB].Data = p.T[DenseB].Data[:5]
	if err := writeSafetensors(filepath.Join(dir, "a.safetensors"), p, nil); err == nil || !strings.Contains(err.Error(), "dense/bias") {
		t.Errorf("short tensor: err = %v", err)
	}
	p = NewParams()
	p.T[OutW].Shape = []int{10, 128}
	if err := writeSafetensors(filepath.Join(dir, "b.safetensors"), p, nil); err == nil || !strings.Contains(err.Error(), "dense_1/kernel") {
		t.Errorf("wrong shape: err = %v", err)
	}
	if err := writeSafetensors(filepath.Join(dir, "c.safetensors"), NewParams(), map[string]string{"k": "\xff"}); err == nil {
		t.Error("invalid UTF-8 metadata: no error")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed writes left %d files", len(entries))
	}
}

// stTensor is one header entry of a hand-built file. begin and end are
// computed (tensors packed in list order) unless offsets is set.
type stTensor struct {
	name    string
	dtype   string
	shape   []int
	offsets *[2]int
	size    int // data bytes to append; 4*product(shape) when 0
}

// pythonOrder is the model's tensors as Python's save_file orders them (by
// name), written out here rather than taken from the package, so that the
// reader is tested against the format and not against the writer.
func pythonOrder() []stTensor {
	return []stTensor{
		{name: "conv2d/bias", dtype: "F32", shape: []int{32}},
		{name: "conv2d/kernel", dtype: "F32", shape: []int{3, 3, 1, 32}},
		{name: "dense/bias", dtype: "F32", shape: []int{128}},
		{name: "dense/kernel", dtype: "F32", shape: []int{5408, 128}},
		{name: "dense_1/bias", dtype: "F32", shape: []int{10}},
		{name: "dense_1/kernel", dtype: "F32", shape: []int{128, 10}},
	}
}

// handValue is the value a hand-built file stores at index j of the tensor
// named name.
func handValue(name string, j int) float32 {
	return float32(len(name)*100000+j%100003) * 0.25
}

// buildSafetensors assembles a file byte by byte: a header in the style of
// Python's json.dumps (spaces after separators), metadata after the
// tensors, padding with spaces.
func buildSafetensors(tensors []stTensor, metadata string) []byte {
	var h strings.Builder
	var data []byte
	h.WriteString("{")
	for i, tn := range tensors {
		size := tn.size
		if size == 0 {
			size = 4
			for _, d := range tn.shape {
				size *= d
			}
		}
		begin, end := len(data), len(data)+size
		for j := 0; j < size/4; j++ {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(handValue(tn.name, j)))
		}
		data = append(data, make([]byte, size%4)...)
		if tn.offsets != nil {
			begin, end = tn.offsets[0], tn.offsets[1]
		}
		if i > 0 {
			h.WriteString(", ")
		}
		shape := strings.ReplaceAll(fmt.Sprint(tn.shape), " ", ", ")
		fmt.Fprintf(&h, `"%s": {"dtype": "%s", "shape": %s, "data_offsets": [%d, %d]}`, tn.name, tn.dtype, shape, begin, end)
	}
	if metadata != "" {
		fmt.Fprintf(&h, `, "__metadata__": %s`, metadata)
	}
	h.WriteString("}")
	header := h.String()
	for (8+len(header))%8 != 0 {
		header += " "
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSafetensorsReadHandBuilt(t *testing.T) {
	b := buildSafetensors(pythonOrder(), `{"format": "pt", "seed": "42"}`)
	p, meta, err := ReadSafetensors(writeTemp(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if len(meta) != 2 || meta["format"] != "pt" || meta["seed"] != "42" {
		t.Errorf("metadata %v", meta)
	}
	for _, tn := range p.T {
		for j, v := range tn.Data {
			if want := handValue(tn.Name, j); v != want {
				t.Fatalf("%s[%d] = %v, want %v", tn.Name, j, v, want)
			}
		}
	}

	// No metadata at all, and "__metadata__": null, are both fine.
	for _, md := range []string{"", "null"} {
		_, meta, err := ReadSafetensors(writeTemp(t, buildSafetensors(pythonOrder(), md)))
		if err != nil || meta == nil || len(meta) != 0 {
			t.Errorf("metadata %q: got %v, %v", md, meta, err)
		}
	}
}

func TestSafetensorsReadErrors(t *testing.T) {
	valid := buildSafetensors(pythonOrder(), `{"format": "pt"}`)
	hdrLen := int(binary.LittleEndian.Uint64(valid))
	with := func(edit func(ts []stTensor) []stTensor) []byte {
		return buildSafetensors(edit(pythonOrder()), "")
	}
	setLen := func(n uint64) []byte {
		b := bytes.Clone(valid)
		binary.LittleEndian.PutUint64(b, n)
		return b
	}
	header := func(h string) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
		return append(b, h...)
	}
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"short length", valid[:5], "truncated"},
		{"truncated header", valid[:8+hdrLen/2], "header length"},
		{"truncated data", valid[:len(valid)-1], "tensor dense_1/kernel: data_offsets [2770728 2775848] out of bounds"},
		{"header length > file", setLen(1 << 40), "header length 1099511627776 is larger than the file"},
		{"header length max", setLen(math.MaxUint64), "is larger than the file"},
		{"header length 0", setLen(0), "not a JSON object"},
		{"wrong shape", with(func(ts []stTensor) []stTensor {
			ts[3].shape = []int{128, 5408}
			return ts
		}), "w.safetensors: tensor dense/kernel: shape [128 5408], want [5408 128]"},
		{"wrong rank", with(func(ts []stTensor) []stTensor {
			ts[1].shape = []int{9, 32}
			return ts
		}), "tensor conv2d/kernel: shape [9 32], want [3 3 1 32]"},
		{"wrong dtype", with(func(ts []stTensor) []stTensor {
			ts[4].dtype, ts[4].size = "F16", 20
			return ts
		}), "w.safetensors: tensor dense_1/bias: dtype F16, want F32"},
		{"missing tensor", with(func(ts []stTensor) []stTensor {
			return append(ts[:2], ts[3:]...)
		}), "w.safetensors: tensor dense/bias: missing"},
		{"extra tensor", with(func(ts []stTensor) []stTensor {
			return append(ts, stTensor{name: "dense_2/kernel", dtype: "F32", shape: []int{2}})
		}), "w.safetensors: tensor dense_2/kernel: unexpected tensor"},
		{"duplicate tensor", with(func(ts []stTensor) []stTensor {
			return append(ts, ts[0])
		}), `duplicate key "conv2d/bias"`},
		{"offsets out of bounds", with(func(ts []stTensor) []stTensor {
			ts[5].offsets = &[2]int{2775848, 2775848 + 5120}
			return ts
		}), "tensor dense_1/kernel: data_offsets [2775848 2780968] out of bounds"},
		{"offsets reversed", with(func(ts []stTensor) []stTensor {
			ts[0].offsets = &[2]int{128, 0}
			return ts
		}), "tensor conv2d/bias: data_offsets [128 0] out of bounds"},
		{"offsets wrong length", with(func(ts []stTensor) []stTensor {
			ts[0].offsets = &[2]int{0, 124}
			return ts
		}), "tensor conv2d/bias: data_offsets [0 124] span 124 bytes, want 128"},
		{"offsets overlap", with(func(ts []stTensor) []stTensor {
			ts[1].offsets = &[2]int{64, 64 + 1152}
			return ts
		}), "tensors conv2d/bias [0 128] and conv2d/kernel [64 1216] overlap"},
		{"offsets hole", with(func(ts []stTensor) []stTensor {
			ts[0].size = 132 // 4 bytes of the data section that no tensor owns
			ts[0].offsets = &[2]int{4, 132}
			return ts
		}), "data bytes [0 4] belong to no tensor"},
		{"trailing data", append(bytes.Clone(valid), 0, 0, 0, 0), "data bytes [2775848 2775852] belong to no tensor"},
		{"negative offset", header(`{"conv2d/bias": {"dtype": "F32", "shape": [32], "data_offsets": [-4, 124]}}`), "data_offsets [-4, 124]: not [begin, end]"},
		{"three offsets", header(`{"conv2d/bias": {"dtype": "F32", "shape": [32], "data_offsets": [0, 128, 256]}}`), "not [begin, end]"},
		{"no dtype", header(`{"conv2d/bias": {"shape": [32], "data_offsets": [0, 128]}}`), "tensor conv2d/bias: dtype missing"},
		{"metadata not strings", buildSafetensors(pythonOrder(), `{"seed": 42}`), `__metadata__ "seed": value 42 is not a string`},
		{"metadata null value", buildSafetensors(pythonOrder(), `{"seed": null}`), `__metadata__ "seed": value null is not a string`},
		{"not JSON", header("{nope}   "), "header:"},
		{"JSON array", header("[1, 2, 3]"), "not a JSON object"},
		{"garbage after header", header(`{"__metadata__": {}} x`), "after the JSON object"},
		{"unclosed header", header(`{"__metadata__": {}`), "header:"},
		{"bad UTF-8", header("{\"\xff\": 1}"), "UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, meta, err := ReadSafetensors(writeTemp(t, c.file))
			if err == nil {
				t.Fatalf("no error (params %v, metadata %v)", p != nil, meta)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "w.safetensors") {
				t.Errorf("error %q does not name the file", err)
			}
			if p != nil || meta != nil {
				t.Error("results returned with an error")
			}
		})
	}
}

func TestSafetensorsReadMissingFile(t *testing.T) {
	if _, _, err := ReadSafetensors(filepath.Join(t.TempDir(), "none.safetensors")); !os.IsNotExist(err) {
		t.Errorf("err = %v, want not-exist", err)
	}
}

// FuzzReadSafetensors feeds arbitrary bytes to the decoder behind
// ReadSafetensors: it must never panic, and whatever it accepts must survive
// a write and a read unchanged.
func FuzzReadSafetensors(f *testing.F) {
	small := func(h string) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
		return append(b, h...)
	}
	f.Add(buildSafetensors(pythonOrder(), `{"format": "pt"}`))
	f.Add(small(`{"__metadata__": {"a": "b"}}`))
	f.Add(small(`{"conv2d/bias": {"dtype": "F32", "shape": [32], "data_offsets": [0, 128]}}`))
	f.Add(small(`{"dense/kernel": {"dtype": "F32", "shape": [5408, 128], "data_offsets": [18446744073709551615, 0]}}`))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{'})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, meta, err := decodeSafetensors("fuzz", b)
		if err != nil {
			if p != nil || meta != nil {
				t.Fatal("results returned with an error")
			}
			return
		}
		again, err := EncodeSafetensors(p, meta)
		if err != nil {
			t.Fatalf("accepted input does not re-encode: %v", err)
		}
		q, meta2, err := decodeSafetensors("again", again)
		if err != nil {
			t.Fatalf("re-encoded input rejected: %v", err)
		}
		if q.Fingerprint() != p.Fingerprint() || len(meta2) != len(meta) {
			t.Fatal("round trip changed the weights or the metadata")
		}
	})
}

// writeSafetensors is the test's file writer around EncodeSafetensors.
func writeSafetensors(path string, p *Params, meta map[string]string) error {
	data, err := EncodeSafetensors(p, meta)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, data, 0o644)
}
