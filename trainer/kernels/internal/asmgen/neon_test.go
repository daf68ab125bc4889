package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
)

// knownEncodings are instructions with their encodings as the GNU/LLVM
// assemblers write them (llvm-mc -triple=aarch64 -show-encoding), i.e. the
// ARM ARM's: they pin enc3/enc2 and the opcodes without any tool.
var knownEncodings = []struct {
	got  uint32
	want uint32
	asm  string
}{
	{enc3(opFADD, 1, 2, 3), 0x4e23d441, "fadd v1.4s, v2.4s, v3.4s"},
	{enc3(opFSUB, 31, 0, 17), 0x4eb1d41f, "fsub v31.4s, v0.4s, v17.4s"},
	{enc3(opFMUL, 6, 8, 1), 0x6e21dd06, "fmul v6.4s, v8.4s, v1.4s"},
	{enc3(opFDIV, 6, 6, 5), 0x6e25fcc6, "fdiv v6.4s, v6.4s, v5.4s"},
	{enc3(opCMHS, 15, 15, 14), 0x6eae3def, "cmhs v15.4s, v15.4s, v14.4s"},
	{enc2(opFSQRT, 5, 4), 0x6ea1f885, "fsqrt v5.4s, v4.4s"},
	{enc3(opFMLA, 0, 24, 28), 0x4e3ccf00, "fmla v0.4s, v24.4s, v28.4s"},
	// Go's own assembler test data: VFMLA V1.S4, V12.S4, V1.S4 is 81cd214e.
	{enc3(opFMLA, 1, 12, 1), 0x4e21cd81, "fmla v1.4s, v12.4s, v1.4s"},
}

func TestNeonEncodings(t *testing.T) {
	for _, e := range knownEncodings {
		if e.got != e.want {
			t.Errorf("%s: encoded %#08x, want %#08x", e.asm, e.got, e.want)
		}
	}
}

// TestNeonWordsAssemble feeds every WORD the generator emits for arm64 (its
// comment names the instruction) to llvm-mc and compares the encodings. It
// is skipped where llvm-mc is missing; TestNeonEncodings still runs.
func TestNeonWordsAssemble(t *testing.T) {
	mc, err := exec.LookPath("llvm-mc")
	if err != nil {
		testdeps.Missing(t, testdeps.LLVMMC, "no llvm-mc to cross-check the WORD encodings")
	}
	var s, g, adam bytes.Buffer
	genNeon(&s, &g, &adam)
	re := regexp.MustCompile(`WORD \$0x([0-9a-f]{8}) // ([A-Z]+ [^;\n]*)`)
	var words []string
	var src strings.Builder
	seen := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(s.String()+adam.String(), -1) {
		if line := strings.TrimSpace(m[2]); !seen[line] {
			seen[line] = true
			words = append(words, m[1])
			fmt.Fprintln(&src, strings.ToLower(line))
		}
	}
	if len(words) == 0 {
		t.Fatal("no WORD found in the generated arm64 assembly")
	}
	cmd := exec.Command(mc, "-triple=aarch64", "-show-encoding")
	cmd.Stdin = strings.NewReader(src.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("llvm-mc: %v\n%s", err, out)
	}
	enc := regexp.MustCompile(`encoding: \[0x(..),0x(..),0x(..),0x(..)\]`).FindAllStringSubmatch(string(out), -1)
	if len(enc) != len(words) {
		t.Fatalf("llvm-mc encoded %d instructions, want %d:\n%s", len(enc), len(words), out)
	}
	lines := strings.Split(strings.TrimSpace(src.String()), "\n")
	for i, e := range enc {
		if got := e[4] + e[3] + e[2] + e[1]; got != words[i] { // little-endian bytes
			t.Errorf("%s: generator writes %s, llvm-mc %s", lines[i], words[i], got)
		}
	}
	t.Logf("%d distinct WORD instructions agree with llvm-mc", len(words))
}
