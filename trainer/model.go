// Package trainer trains the reference CNN of docs/reference.md: the MNIST
// data, the model's parameters and their Keras initialisation, Keras's Adam,
// the replica interface that engines implement, and the strategies (single
// and mirrored) that drive replicas. Engines live in sub-packages
// (trainer/gorgoniaengine, trainer/native); they import this package, never
// the reverse.
//
// Everything random comes from the scenario seed through named PCG streams, so
// the same seed, build and CPU architecture give bitwise-identical weights.
package trainer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
)

// Shapes of the reference model (Keras, channels_last).
const (
	ImageSide   = 28                                // input is 28x28x1
	ImagePixels = ImageSide * ImageSide             // 784
	Classes     = 10                                // softmax outputs
	ConvKernel  = 3                                 // 3x3 valid convolution, stride 1
	ConvFilters = 32                                // conv output channels
	ConvSide    = ImageSide - ConvKernel + 1        // 26
	PoolSide    = ConvSide / 2                      // 13 after 2x2 max-pool
	Flat        = PoolSide * PoolSide * ConvFilters // 5408, flatten order (h, w, c)
	Hidden      = 128                               // dense units
)

// Indices of the parameter tensors in Params.T, in Keras's order.
const (
	ConvW  = iota // conv2d/kernel  [3,3,1,32]
	ConvB         // conv2d/bias    [32]
	DenseW        // dense/kernel   [5408,128]
	DenseB        // dense/bias     [128]
	OutW          // dense_1/kernel [128,10]
	OutB          // dense_1/bias   [10]
	NumTensors
)

// Tensor is one named parameter tensor, row-major, with Keras's name and shape.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Params holds the model's six tensors in Keras's order and layouts. Engines
// read and write gradients in exactly these layouts: conv2d/kernel is indexed
// [kh][kw][in][out], dense/kernel [h*13*32+w*32+c][unit].
type Params struct {
	T [NumTensors]Tensor
}

var tensorSpecs = [NumTensors]struct {
	name  string
	shape []int
}{
	{"conv2d/kernel", []int{ConvKernel, ConvKernel, 1, ConvFilters}},
	{"conv2d/bias", []int{ConvFilters}},
	{"dense/kernel", []int{Flat, Hidden}},
	{"dense/bias", []int{Hidden}},
	{"dense_1/kernel", []int{Hidden, Classes}},
	{"dense_1/bias", []int{Classes}},
}

// NewParams returns zeroed parameters with Keras's names and shapes.
func NewParams() *Params {
	p := &Params{}
	for i, s := range tensorSpecs {
		n := 1
		for _, d := range s.shape {
			n *= d
		}
		p.T[i] = Tensor{Name: s.name, Shape: append([]int(nil), s.shape...), Data: make([]float32, n)}
	}
	return p
}

// Count is the number of scalar parameters (693,962 for the reference model).
func (p *Params) Count() int {
	n := 0
	for _, t := range p.T {
		n += len(t.Data)
	}
	return n
}

// CopyFrom copies q's values into p.
func (p *Params) CopyFrom(q *Params) {
	for i := range p.T {
		copy(p.T[i].Data, q.T[i].Data)
	}
}

// Clone returns a deep copy.
func (p *Params) Clone() *Params {
	c := NewParams()
	c.CopyFrom(p)
	return c
}

// Add adds q into p element-wise: p += q.
func (p *Params) Add(q *Params) {
	for i := range p.T {
		dst, src := p.T[i].Data, q.T[i].Data
		for j := range dst {
			dst[j] += src[j]
		}
	}
}

// Fingerprint is the hex SHA-256 of all values as little-endian float32, tensor
// after tensor in Keras's order: the run's weight fingerprint.
func (p *Params) Fingerprint() string {
	h := sha256.New()
	var buf [4]byte
	for _, t := range p.T {
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			h.Write(buf[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// GlorotLimit is Keras's glorot_uniform limit sqrt(6/(fan_in+fan_out)) for a
// kernel shape: conv fans are kh*kw*in and kh*kw*out, dense fans its two dims.
func GlorotLimit(shape []int) float64 {
	receptive := 1
	for _, d := range shape[:len(shape)-2] {
		receptive *= d
	}
	fanIn := receptive * shape[len(shape)-2]
	fanOut := receptive * shape[len(shape)-1]
	return math.Sqrt(6 / float64(fanIn+fanOut))
}

// Named random streams: each use of randomness gets its own PCG stream from
// the scenario seed, so adding one never shifts another.
const (
	streamInit    = 0x696e6974 // "init"
	streamShuffle = 0x73687566 // "shuf"
)

// InitKeras fills p as Keras does: kernels glorot_uniform U(-L, L), biases 0,
// drawn from the seed's "init" stream in tensor order.
func InitKeras(p *Params, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, streamInit))
	for i := range p.T {
		t := &p.T[i]
		if len(t.Shape) < 2 { // bias
			clear(t.Data)
			continue
		}
		limit := GlorotLimit(t.Shape)
		for j := range t.Data {
			t.Data[j] = float32(limit * (float64(2*rng.Float64()) - 1))
		}
	}
}
