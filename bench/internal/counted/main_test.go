package main

import (
	"strconv"
	"testing"
)

// A cachegrind output file, cut down: the runtime's functions and the
// runtime's assembly without a package prefix do not count.
const cgOut = `desc: I1 cache: 32768 B, 64 B, 8-way associative
cmd: ./x.test -test.bench Train
events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
fl=./trainer/kernels/sgemm_amd64.s
fn=github.com/mirrorbench/mirrorbench/trainer/kernels.kern6x16.abi0
10 1000 1 0 500 10 1 100 2 0
11 2000 0 0 0 0 0 0 0 0
fl=./runtime/proc.go
fn=runtime.sysmon
5 777 1 1 1 1 1 1 1 1
fl=./internal/runtime/syscall/linux/x.s
fn=internal/runtime/syscall/linux.EpollWait
5 55 0 0 0 0 0 0 0 0
fl=./runtime/asm_amd64.s
fn=gogo
5 33 0 0 0 0 0 0 0 0
fl=./bufio/bufio.go
fn=bufio.(*Reader).ReadByte
7 100 0 0 0 0 0 0 0 0
summary: 3965 2 1 501 11 2 101 3 1
`

func TestParseCachegrind(t *testing.T) {
	ev, asm, err := parseCachegrind(cgOut)
	if err != nil {
		t.Fatal(err)
	}
	if len(asm) != 1 || asm[0] != "github.com/mirrorbench/mirrorbench/trainer/kernels.kern6x16.abi0" {
		t.Errorf("assembly kernels %q, want kern6x16's", asm)
	}
	if ev["Ir"] != 3100 || ev["D1mr"] != 10 || ev["D1mw"] != 2 || ev["I1mr"] != 1 {
		t.Errorf("events %v: want Ir 3100 (the runtime's 865 left out), D1mr 10, D1mw 2, I1mr 1", ev)
	}
	if got := estCycles(ev); got != 3100+10*(1+10+2)+100*(0+1+0) {
		t.Errorf("est-cycles %v", got)
	}
	if _, _, err := parseCachegrind("summary: 1\n"); err == nil {
		t.Error("a file without events parsed")
	}
}

func TestIsAsmKernel(t *testing.T) {
	for fn, want := range map[string]bool{
		"github.com/mirrorbench/mirrorbench/trainer/kernels.kern6x16.abi0":  true,
		"github.com/mirrorbench/mirrorbench/trainer/kernels.adamAVX.abi0":   true,
		"github.com/mirrorbench/mirrorbench/trainer/kernels.sgemmGenericNN": false,
		"crypto/internal/fips140/sha256.blockAVX2.abi0":                     false,
		"github.com/mirrorbench/mirrorbench/trainer/kernels.SgemmTN":        false,
		"github.com/mirrorbench/mirrorbench/trainer/kernelsx.kern6x16.abi0": false,
	} {
		if got := isAsmKernel(fn); got != want {
			t.Errorf("isAsmKernel(%q) = %v, want %v", fn, got, want)
		}
	}
}

func TestGodebug(t *testing.T) {
	if got, want := godebug("", ""), "asyncpreemptoff=1,cpu.rdtscp=off"; got != want {
		t.Errorf("godebug = %q, want %q", got, want)
	}
	if got, want := godebug("x=1", "cpu.fma=off"), "x=1,asyncpreemptoff=1,cpu.rdtscp=off,cpu.fma=off"; got != want {
		t.Errorf("godebug = %q, want %q", got, want)
	}
}

func TestCounts(t *testing.T) {
	for fn, want := range map[string]bool{
		"runtime.mallocgc": false, "runtime.(*pageAlloc).find": false, "internal/runtime/maps.(*Map).getWithKeySmall": false,
		"gogo": false, "memeqbody": false, "__vdso_clock_gettime": false,
		"github.com/mirrorbench/mirrorbench/trainer/native.im2col": true, "main.injectSlowdown": true,
		"time.Since": true, "compress/flate.(*decompressor).huffSym": true,
	} {
		if got := counts(fn); got != want {
			t.Errorf("counts(%q) = %v, want %v", fn, got, want)
		}
	}
}

func TestLine(t *testing.T) {
	out := func(n int, opNs, sampleNs string) string {
		return "goos: linux\ngoarch: amd64\nBenchmarkTrain\nBenchmarkTrain/scenario=reference-cpu1/engine=native/devices=cpu1/replicas=1 \t" +
			strconv.Itoa(n) + "\t" + opNs + " ns/op\t  1 cpu-ns/sample\t" + sampleNs + " ns/sample\t 5.3 samples/s\nPASS\n"
	}
	h, l1, err := parseBenchOutput(out(1, "5970205455", "186568920"))
	if err != nil || len(h) != 2 || l1.n != 1 || l1.samplesPerOp() != 32 {
		t.Fatalf("header %q, line %+v, err %v", h, l1, err)
	}
	_, l2, err := parseBenchOutput(out(2, "7743922949", "241997592"))
	if err != nil {
		t.Fatal(err)
	}
	ps := counter{k: 1, span: 20, sim: true}.paths()
	if len(ps) != 2 || ps[0].steps != 1 || !ps[0].sim || ps[1].steps != 20 || ps[1].sim || ps[1].godebug != "cpu.fma=off" {
		t.Fatalf("paths %+v", ps)
	}
	got, err := ps[0].line(count{events: map[string]float64{"Ir": 1000}, line: l1}, count{events: map[string]float64{"Ir": 1000 + 32*917}, line: l2})
	if err != nil {
		t.Fatal(err)
	}
	if want := "BenchmarkTrain/scenario=reference-cpu1/engine=native/devices=cpu1/replicas=1 \t1\t917 instr/sample\t917 est-cycles/sample"; got != want {
		t.Errorf("line\n%q, want\n%q", got, want)
	}
	// The generic path: 20 steps (runs of 1 and 21), its own name.
	got, err = ps[1].line(count{events: map[string]float64{"Ir": 1000}, line: l1}, count{events: map[string]float64{"Ir": 1000 + 20*32*21000}, line: l2})
	if err != nil {
		t.Fatal(err)
	}
	if want := "BenchmarkTrain/scenario=reference-cpu1/engine=native/devices=cpu1/replicas=1/kernels=generic \t20\t21000 instr/sample"; got != want {
		t.Errorf("line\n%q, want\n%q", got, want)
	}
	if ps := (counter{k: 1}).paths(); len(ps) != 1 {
		t.Errorf("-span 0 counts %d paths, want the avx2-fma one", len(ps))
	}
	if _, _, err := parseBenchOutput("BenchmarkTrain\n--- SKIP: x\n"); err == nil {
		t.Error("output without a result parsed")
	}
}
