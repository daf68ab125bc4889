package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// DeviceSpec is the parsed devices string (see Help, DEVICES).
type DeviceSpec struct {
	Kind    string // "cpu" | "gpu"
	Threads int    // cpu only: intra-op threads per replica; 0 = all cores (cpu:all); 1 for id lists
	IDs     []int  // an explicit list: "cpu:0-3" -> 0,1,2,3 (four one-thread replicas), "gpu:0,1" -> 0,1
	All     bool   // "gpu:all": every GPU found at run time
}

// The device kinds.
const (
	kindCPU = "cpu"
	kindGPU = "gpu"
)

// Limits that keep a typo like cpu:0-99999999 from allocating a huge list.
const (
	maxThreads = 4096
	maxID      = 4095
	maxIDs     = 1024
)

// ParseDevices parses a devices string: cpu, cpu:N, cpu:all, cpu:A-B,
// cpu:a,b,c (ranges and commas may mix), gpu:N, gpu:a,b, gpu:A-B, gpu:all.
// A single number after cpu: is a thread count; after gpu: it is an id.
func ParseDevices(s string) (DeviceSpec, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	switch kind {
	case kindCPU:
		return parseCPU(arg, hasArg)
	case kindGPU:
		return parseGPU(arg, hasArg)
	}
	return DeviceSpec{}, fmt.Errorf("unknown device %q; want cpu, cpu:N, cpu:all, cpu:0-3, gpu:0,1 or gpu:all", s)
}

func parseCPU(arg string, hasArg bool) (DeviceSpec, error) {
	switch {
	case !hasArg:
		return DeviceSpec{Kind: kindCPU, Threads: 1}, nil
	case arg == "all":
		return DeviceSpec{Kind: kindCPU, Threads: 0}, nil
	case isDigits(arg):
		n, err := parseNumber(arg, maxThreads)
		if err != nil {
			return DeviceSpec{}, fmt.Errorf("cpu:%s: thread count %v", arg, err)
		}
		if n < 1 {
			return DeviceSpec{}, fmt.Errorf("cpu:%s: thread count must be >= 1 (a list of one replica is cpu:%s-%s)", arg, arg, arg)
		}
		return DeviceSpec{Kind: kindCPU, Threads: n}, nil
	}
	ids, err := parseIDs(arg)
	if err != nil {
		return DeviceSpec{}, fmt.Errorf("cpu:%s: %v", arg, err)
	}
	return DeviceSpec{Kind: kindCPU, Threads: 1, IDs: ids}, nil
}

func parseGPU(arg string, hasArg bool) (DeviceSpec, error) {
	switch {
	case !hasArg:
		return DeviceSpec{}, fmt.Errorf("gpu needs ids: gpu:0, gpu:0,1, gpu:0-3 or gpu:all")
	case arg == "all":
		return DeviceSpec{Kind: kindGPU, All: true}, nil
	}
	ids, err := parseIDs(arg)
	if err != nil {
		return DeviceSpec{}, fmt.Errorf("gpu:%s: %v", arg, err)
	}
	return DeviceSpec{Kind: kindGPU, IDs: ids}, nil
}

// parseIDs parses a comma-separated list of ids and inclusive ranges A-B.
func parseIDs(arg string) ([]int, error) {
	var ids []int
	for part := range strings.SplitSeq(arg, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		a, err := parseNumber(lo, maxID)
		if err != nil {
			return nil, err
		}
		b, err := parseNumber(hi, maxID)
		if err != nil {
			return nil, err
		}
		if a > b {
			return nil, fmt.Errorf("range %q runs backwards", part)
		}
		if len(ids)+b-a+1 > maxIDs {
			return nil, fmt.Errorf("more than %d ids", maxIDs)
		}
		for id := a; id <= b; id++ {
			if slices.Contains(ids, id) {
				return nil, fmt.Errorf("id %d listed twice", id)
			}
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// parseNumber accepts only plain decimal digits: strconv.Atoi would also
// take "+1" and "-1", which the grammar gives other meanings.
func parseNumber(s string, max int) (int, error) {
	if !isDigits(s) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if len(s) > 6 {
		return 0, fmt.Errorf("%s is above %d", s, max)
	}
	n, _ := strconv.Atoi(s)
	if n > max {
		return 0, fmt.Errorf("%d is above %d", n, max)
	}
	return n, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// String returns the canonical form: ParseDevices(d.String()) equals d.
// Thread counts are always spelled out (cpu:1, not cpu), runs of three or
// more ids become ranges, and a one-id CPU list is cpu:N-N because cpu:N is
// a thread count.
func (d DeviceSpec) String() string {
	switch {
	case d.Kind == kindGPU && d.All:
		return "gpu:all"
	case d.Kind == kindGPU:
		return "gpu:" + formatIDs(d.IDs)
	case d.Kind == kindCPU && len(d.IDs) == 1:
		return fmt.Sprintf("cpu:%d-%d", d.IDs[0], d.IDs[0])
	case d.Kind == kindCPU && len(d.IDs) > 1:
		return "cpu:" + formatIDs(d.IDs)
	case d.Kind == kindCPU && d.Threads == 0:
		return "cpu:all"
	case d.Kind == kindCPU:
		return "cpu:" + strconv.Itoa(d.Threads)
	}
	return ""
}

// formatIDs writes ids in their order, folding ascending runs of three or
// more into A-B.
func formatIDs(ids []int) string {
	var parts []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, fmt.Sprintf("%d-%d", ids[i], ids[j]))
		} else {
			for _, id := range ids[i : j+1] {
				parts = append(parts, strconv.Itoa(id))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// isList reports whether d is an explicit id list rather than a thread form
// or gpu:all.
func (d DeviceSpec) isList() bool { return len(d.IDs) > 0 }
