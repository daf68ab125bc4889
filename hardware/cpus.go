package hardware

import (
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Where the counts of a Host came from (Host.ThreadsFrom, Host.CoresFrom).
const (
	FromOS            = "os"               // threads: online CPUs, affinity and cgroup quota
	FromSysfsTopology = "sysfs topology"   // cores: /sys/devices/system/cpu/cpu*/topology
	FromCPUInfoIDs    = "cpuinfo core ids" // cores: /proc/cpuinfo "physical id" and "core id"
	FromCPUInfoRatio  = "cpuinfo siblings" // cores: /proc/cpuinfo "siblings" / "cpu cores"
	FromCPUID         = "cpuid"            // the OS gave nothing: CPUID, which a hypervisor may fake
)

// osCPUs is what the operating system says about the CPUs this process can use. Zero or
// empty fields mean the OS did not say.
type osCPUs struct {
	Model     string  // /proc/cpuinfo "model name"
	Online    int     // CPUs online
	Affinity  int     // CPUs in the process's affinity mask
	Quota     float64 // cgroup CPU quota in CPUs; 0 = none
	Threads   int     // usable: min(online ∩ affinity, quota rounded up)
	Cores     int     // physical cores among the usable CPUs, at most Threads
	CoresFrom string  // FromSysfsTopology, FromCPUInfoIDs, FromCPUInfoRatio; "" when unknown
}

// readOSCPUs reads what Linux says about the CPUs from fsys, a file system rooted at "/"
// (tests hand in fixtures), given the process's affinity mask (nil when unknown):
// sys/devices/system/cpu/online, proc/cpuinfo, the topology files of each usable CPU, and
// the cgroup CPU quota of proc/self/cgroup's groups and their ancestors.
func readOSCPUs(fsys fs.FS, affinity []int) osCPUs {
	var o osCPUs
	var online []int
	if b, err := fs.ReadFile(fsys, "sys/devices/system/cpu/online"); err == nil {
		if cpus, err := parseCPUList(string(b)); err == nil {
			online = cpus
		}
	}
	o.Online, o.Affinity = len(online), len(affinity)

	// The usable CPUs: online ones the process may run on.
	usable := online
	switch {
	case online == nil:
		usable = affinity
	case affinity != nil:
		usable = slices.DeleteFunc(slices.Clone(online), func(c int) bool { return !slices.Contains(affinity, c) })
		if len(usable) == 0 { // an affinity outside the online list: trust the kernel's mask
			usable = affinity
		}
	}

	var info []cpuInfoEntry
	if b, err := fs.ReadFile(fsys, "proc/cpuinfo"); err == nil {
		info = parseCPUInfo(string(b))
	}
	o.Model = cpuInfoModel(info, usable)
	o.Quota = cgroupCPUQuota(fsys)
	if len(usable) == 0 {
		return o
	}
	o.Threads = len(usable)
	o.Cores, o.CoresFrom = countCores(fsys, info, usable)
	if o.Quota > 0 {
		o.Threads = min(o.Threads, quotaCPUs(o.Quota))
	}
	if o.Cores > o.Threads {
		o.Cores = o.Threads
	}
	return o
}

// quotaCPUs rounds a CPU quota up to whole CPUs: a 1.5-CPU quota keeps two CPUs busy.
func quotaCPUs(q float64) int {
	return max(int(math.Ceil(q-1e-9)), 1)
}

// parseCPUList parses a kernel CPU list such as "0-3,8,10-11" (sysfs online, cpuset, the
// *_list topology files) into sorted CPU numbers. Empty text is an empty list.
func parseCPUList(s string) ([]int, error) {
	cpus := []int{}
	s = strings.TrimSpace(s)
	if s == "" {
		return cpus, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("cpu list %q: bad cpu %q", s, lo)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("cpu list %q: bad range %q", s, part)
			}
		}
		if b-a > 1<<16 {
			return nil, fmt.Errorf("cpu list %q: range %q too large", s, part)
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	slices.Sort(cpus)
	return slices.Compact(cpus), nil
}

// cpuInfoEntry is one processor's block of /proc/cpuinfo. Numbers the block does not
// state are -1.
type cpuInfoEntry struct {
	Processor  int
	Model      string // "model name"
	PhysicalID int    // "physical id": the package
	CoreID     int    // "core id": the core within the package
	Siblings   int    // "siblings": threads per package
	CPUCores   int    // "cpu cores": cores per package
}

// parseCPUInfo splits /proc/cpuinfo into processor blocks. Blocks without a "processor"
// line (arm64's trailing "Hardware" block, say) are dropped.
func parseCPUInfo(s string) []cpuInfoEntry {
	var out []cpuInfoEntry
	cur := cpuInfoEntry{Processor: -1, PhysicalID: -1, CoreID: -1, Siblings: -1, CPUCores: -1}
	flush := func() {
		if cur.Processor >= 0 {
			out = append(out, cur)
		}
		cur = cpuInfoEntry{Processor: -1, PhysicalID: -1, CoreID: -1, Siblings: -1, CPUCores: -1}
	}
	for _, line := range strings.Split(s, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			if strings.TrimSpace(line) == "" {
				flush()
			}
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		num := func() int {
			n, err := strconv.Atoi(val)
			if err != nil {
				return -1
			}
			return n
		}
		switch key {
		case "processor":
			if cur.Processor >= 0 { // no blank line between blocks
				flush()
			}
			cur.Processor = num()
		case "model name":
			cur.Model = strings.Join(strings.Fields(val), " ")
		case "physical id":
			cur.PhysicalID = num()
		case "core id":
			cur.CoreID = num()
		case "siblings":
			cur.Siblings = num()
		case "cpu cores":
			cur.CPUCores = num()
		}
	}
	flush()
	return out
}

// cpuInfoModel is the "model name" of the first usable processor that has one (of any
// processor when none usable has); "" when /proc/cpuinfo names none (arm64 does not).
func cpuInfoModel(info []cpuInfoEntry, usable []int) string {
	for _, e := range info {
		if e.Model != "" && slices.Contains(usable, e.Processor) {
			return e.Model
		}
	}
	for _, e := range info {
		if e.Model != "" {
			return e.Model
		}
	}
	return ""
}

// countCores counts the physical cores among the usable CPUs: distinct (package, core)
// pairs from the sysfs topology of each, else from /proc/cpuinfo's ids, else the
// threads divided by /proc/cpuinfo's siblings per core. 0 and "" when none of them says.
func countCores(fsys fs.FS, info []cpuInfoEntry, usable []int) (int, string) {
	type core struct{ pkg, id int }
	seen := map[core]bool{}
	for _, c := range usable {
		dir := path.Join("sys/devices/system/cpu", "cpu"+strconv.Itoa(c), "topology")
		pkg, err1 := readInt(fsys, dir+"/physical_package_id")
		id, err2 := readInt(fsys, dir+"/core_id")
		if err1 != nil || err2 != nil {
			clear(seen)
			break
		}
		seen[core{pkg, id}] = true
	}
	if len(seen) > 0 {
		return len(seen), FromSysfsTopology
	}

	byProc := map[int]cpuInfoEntry{}
	for _, e := range info {
		byProc[e.Processor] = e
	}
	for _, c := range usable {
		e, ok := byProc[c]
		if !ok || e.PhysicalID < 0 || e.CoreID < 0 {
			clear(seen)
			break
		}
		seen[core{e.PhysicalID, e.CoreID}] = true
	}
	if len(seen) > 0 {
		return len(seen), FromCPUInfoIDs
	}

	for _, e := range info {
		if e.Siblings > 0 && e.CPUCores > 0 && e.Siblings >= e.CPUCores {
			perCore := e.Siblings / e.CPUCores
			return (len(usable) + perCore - 1) / perCore, FromCPUInfoRatio
		}
	}
	return 0, ""
}

func readInt(fsys fs.FS, name string) (int, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// cgroupCPUQuota is the tightest CPU quota, in CPUs, over the process's cgroups (as
// proc/self/cgroup names them) and their ancestors, under cgroup v2 (cpu.max) and v1
// (cpu.cfs_quota_us / cpu.cfs_period_us); 0 when none is set. Each group's path is tried
// under each mount point, then its parents up to the mount's root: inside a container the
// mount's root is the container's own group, whatever path proc/self/cgroup shows.
func cgroupCPUQuota(fsys fs.FS) float64 {
	var v2, v1 []string // the groups' paths, without the leading "/"
	if b, err := fs.ReadFile(fsys, "proc/self/cgroup"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.SplitN(strings.TrimSpace(line), ":", 3)
			if len(f) != 3 {
				continue
			}
			p := strings.Trim(f[2], "/")
			switch {
			case f[0] == "0" && f[1] == "":
				v2 = append(v2, p)
			case slices.Contains(strings.Split(f[1], ","), "cpu"):
				v1 = append(v1, p)
			}
		}
	}
	if len(v2) == 0 {
		v2 = []string{""}
	}
	if len(v1) == 0 {
		v1 = []string{""}
	}
	tightest := 0.0
	take := func(q float64) {
		if q > 0 && (tightest == 0 || q < tightest) {
			tightest = q
		}
	}
	for _, mount := range []string{"sys/fs/cgroup", "sys/fs/cgroup/unified"} {
		for _, p := range v2 {
			for _, dir := range ancestors(mount, p) {
				if b, err := fs.ReadFile(fsys, dir+"/cpu.max"); err == nil {
					q, _ := parseCPUMax(string(b))
					take(q)
				}
			}
		}
	}
	for _, mount := range []string{"sys/fs/cgroup/cpu", "sys/fs/cgroup/cpu,cpuacct", "sys/fs/cgroup/cpuacct,cpu"} {
		for _, p := range v1 {
			for _, dir := range ancestors(mount, p) {
				quota, err1 := fs.ReadFile(fsys, dir+"/cpu.cfs_quota_us")
				period, err2 := fs.ReadFile(fsys, dir+"/cpu.cfs_period_us")
				if err1 == nil && err2 == nil {
					q, _ := parseCFS(string(quota), string(period))
					take(q)
				}
			}
		}
	}
	return tightest
}

// ancestors lists mount/p, its parents, and mount itself: "m/a/b", "m/a", "m".
func ancestors(mount, p string) []string {
	out := []string{}
	for p != "" && p != "." {
		out = append(out, path.Join(mount, p))
		p = path.Dir(p)
	}
	return append(out, mount)
}

// applyOSCPUs puts what the OS says over CPUID's view in h: the model name (keeping
// CPUID's brand in CPUIDModel where the two differ) and the usable thread and core
// counts. What the OS does not say stays CPUID's, and ThreadsFrom and CoresFrom say so.
// cpuidThreadsPerCore divides CPUID's thread count when cores must come from CPUID.
func applyOSCPUs(h *Host, o osCPUs, cpuidThreadsPerCore int) {
	if o.Model != "" {
		if h.CPUModel != "" && !strings.EqualFold(h.CPUModel, o.Model) {
			h.CPUIDModel = h.CPUModel
		}
		h.CPUModel = o.Model
	}
	h.OnlineCPUs, h.AffinityCPUs, h.CgroupCPULimit = o.Online, o.Affinity, o.Quota
	h.ThreadsFrom, h.CoresFrom = FromCPUID, FromCPUID
	if o.Threads <= 0 {
		return
	}
	h.Threads, h.ThreadsFrom = o.Threads, FromOS
	if o.Cores > 0 {
		h.PhysicalCores, h.CoresFrom = o.Cores, o.CoresFrom
		return
	}
	perCore := max(cpuidThreadsPerCore, 1)
	h.PhysicalCores = max((h.Threads+perCore-1)/perCore, 1)
}
