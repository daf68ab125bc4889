package hardware

import "testing"

func TestParseMemTotal(t *testing.T) {
	in := "MemTotal:       24684092 kB\nMemFree:        24418068 kB\n"
	if got, want := parseMemTotal(in), uint64(24684092*1024); got != want {
		t.Errorf("parseMemTotal = %d, want %d", got, want)
	}
	if got := parseMemTotal("MemFree: 1 kB\n"); got != 0 {
		t.Errorf("no MemTotal: got %d, want 0", got)
	}
}
