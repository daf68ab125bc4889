package hardware

import (
	"os"
	"strconv"
	"strings"
)

// LoadAverage is the machine's 1-minute load average, from /proc/loadavg; 0
// if it cannot be read.
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), " ")
	v, err := strconv.ParseFloat(first, 64)
	if err != nil {
		return 0
	}
	return v
}
