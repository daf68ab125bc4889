package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// DeviceSpec is the parsed devices string (see Help, DEVICES).
type DeviceSpec struct {
	Kind    string // "cpu" | "gpu" | "cl"
	Threads int    // cpu only: intra-op threads per replica; 0 = all cores (cpu:all); 1 for id lists
	// IDs is an explicit list, one id per replica: "cpu:0-3" -> 0,1,2,3 (four
	// one-thread replicas), "gpu:0,1" -> 0,1. An id repeats only where
	// replicas share a device: "gpu:0x2" -> 0,0.
	IDs []int
	All bool // "gpu:all", "cl:all": every device of the kind found at run time
}

// The device kinds: CPU replicas of the CPU engines; GPUs; and OpenCL
// devices of any type (GPUs, and CPU implementations such as pocl), which
// only engine opencl drives.
const (
	kindCPU = "cpu"
	kindGPU = "gpu"
	kindCL  = "cl"
)

// Device kinds as the engines name them.
const (
	DeviceCPU = kindCPU
	DeviceGPU = kindGPU
	DeviceCL  = kindCL
)

// maxShare bounds the replicas sharing one device (gpu:0x2).
const maxShare = 64

// Limits that keep a typo like cpu:0-99999999 from allocating a huge list.
const (
	maxThreads = 4096
	maxID      = 4095
	maxIDs     = 1024
)

// ParseDevices parses a devices string: cpu, cpu:N, cpu:all, cpu:A-B,
// cpu:a,b,c (ranges and commas may mix), gpu:N, gpu:a,b, gpu:A-B, gpu:all,
// and the same forms after cl: for OpenCL devices of any type. A single
// number after cpu: is a thread count; after gpu: or cl: it is an id. On
// gpu and cl an id may carry a replica count, NxK: K replicas sharing
// device N (gpu:0x2, gpu:0x2,1x2).
func ParseDevices(s string) (DeviceSpec, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	switch kind {
	case kindCPU:
		return parseCPU(arg, hasArg)
	case kindGPU, kindCL:
		return parseAccel(kind, arg, hasArg)
	}
	return DeviceSpec{}, fmt.Errorf("unknown device %q; want cpu, cpu:N, cpu:all, cpu:0-3, gpu:0,1, gpu:all, gpu:0x2 or cl:0-1", s)
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
	ids, err := parseIDs(arg, false)
	if err != nil {
		return DeviceSpec{}, fmt.Errorf("cpu:%s: %v", arg, err)
	}
	return DeviceSpec{Kind: kindCPU, Threads: 1, IDs: ids}, nil
}

// parseAccel parses the ids of gpu: or cl: devices.
func parseAccel(kind, arg string, hasArg bool) (DeviceSpec, error) {
	switch {
	case !hasArg:
		return DeviceSpec{}, fmt.Errorf("%[1]s needs ids: %[1]s:0, %[1]s:0,1, %[1]s:0-3, %[1]s:0x2 or %[1]s:all", kind)
	case arg == "all":
		return DeviceSpec{Kind: kind, All: true}, nil
	}
	ids, err := parseIDs(arg, true)
	if err != nil {
		return DeviceSpec{}, fmt.Errorf("%s:%s: %v", kind, arg, err)
	}
	return DeviceSpec{Kind: kind, IDs: ids}, nil
}

// parseIDs parses a comma-separated list of ids and inclusive ranges A-B;
// with shared, an id may be NxK (K replicas on device N, K >= 1).
func parseIDs(arg string, shared bool) ([]int, error) {
	var ids []int
	for part := range strings.SplitSeq(arg, ",") {
		id, count, isShared := strings.Cut(part, "x")
		if isShared && !shared && isDigits(id) && isDigits(count) {
			return nil, fmt.Errorf("%q: only gpu and cl devices are shared by replicas (NxK)", part)
		}
		if isShared && shared {
			n, err := parseNumber(id, maxID)
			if err != nil {
				return nil, err
			}
			k, err := parseNumber(count, maxShare)
			if err != nil {
				return nil, fmt.Errorf("replica count in %q: %v", part, err)
			}
			if k < 1 {
				return nil, fmt.Errorf("replica count in %q must be >= 1", part)
			}
			if slices.Contains(ids, n) {
				return nil, fmt.Errorf("id %d listed twice", n)
			}
			if len(ids)+k > maxIDs {
				return nil, fmt.Errorf("more than %d ids", maxIDs)
			}
			for range k {
				ids = append(ids, n)
			}
			continue
		}
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
	case d.Kind != kindCPU && d.All:
		return d.Kind + ":all"
	case d.Kind != kindCPU:
		return d.Kind + ":" + formatIDs(d.IDs)
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

// formatIDs writes ids in their order, folding repeats of one id into NxK
// and ascending runs of three or more into A-B.
func formatIDs(ids []int) string {
	var parts []string
	for i := 0; i < len(ids); {
		if k := repeats(ids[i:]); k > 1 {
			parts = append(parts, fmt.Sprintf("%dx%d", ids[i], k))
			i += k
			continue
		}
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 && repeats(ids[j+1:]) == 1 {
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

// repeats is how many times ids[0] occurs at the start of ids.
func repeats(ids []int) int {
	k := 1
	for k < len(ids) && ids[k] == ids[0] {
		k++
	}
	return k
}

// Shared reports whether some device holds more than one replica.
func (d DeviceSpec) Shared() bool {
	for i, id := range d.IDs {
		if slices.Contains(d.IDs[:i], id) {
			return true
		}
	}
	return false
}

// isList reports whether d is an explicit id list rather than a thread form
// or gpu:all.
func (d DeviceSpec) isList() bool { return len(d.IDs) > 0 }
