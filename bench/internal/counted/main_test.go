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
	ev, err := parseCachegrind(cgOut)
	if err != nil {
		t.Fatal(err)
	}
	if ev["Ir"] != 3100 || ev["D1mr"] != 10 || ev["D1mw"] != 2 || ev["I1mr"] != 1 {
		t.Errorf("events %v: want Ir 3100 (the runtime's 865 left out), D1mr 10, D1mw 2, I1mr 1", ev)
	}
	if got := estCycles(ev); got != 3100+10*(1+10+2)+100*(0+1+0) {
		t.Errorf("est-cycles %v", got)
	}
	if _, err := parseCachegrind("summary: 1\n"); err == nil {
		t.Error("a file without events parsed")
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
	c := counter{k: 1, sim: true}
	got, err := c.line(count{events: map[string]float64{"Ir": 1000}, line: l1}, count{events: map[string]float64{"Ir": 1000 + 32*917}, line: l2})
	if err != nil {
		t.Fatal(err)
	}
	if want := "BenchmarkTrain/scenario=reference-cpu1/engine=native/devices=cpu1/replicas=1 \t1\t917 instr/sample\t917 est-cycles/sample"; got != want {
		t.Errorf("line\n%q, want\n%q", got, want)
	}
	if _, _, err := parseBenchOutput("BenchmarkTrain\n--- SKIP: x\n"); err == nil {
		t.Error("output without a result parsed")
	}
}
