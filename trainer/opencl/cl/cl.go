// Package cl is a small binding to OpenCL 1.2 through purego: the library is
// opened with dlopen at run time, so builds need no cgo and no OpenCL
// headers, and a machine without OpenCL still runs the binary (Open says
// why there is nothing to use).
//
// Only the functions the opencl engine calls are bound. Every call that
// fails returns an *Error that names the status (CL_INVALID_VALUE, ...) and
// the function.
//
// The library is found in this order: the ICD loader libOpenCL.so.1 (which
// reads /etc/OpenCL/vendors/*.icd); where the loader is missing or finds no
// platform, NVIDIA's driver library libnvidia-opencl.so.1, loaded directly:
// container runtimes mount it with the GPU's compute capability but often
// without the ICD file that would name it. A vendor library exports only
// the ICD entry points, so it is called through the dispatch table that
// every OpenCL object of an ICD begins with (Khronos cl_icd.h); System.Note
// says when that happened.
package cl

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"unsafe"
)

// Handles of OpenCL objects, as the C API passes them.
type (
	PlatformID uintptr
	DeviceID   uintptr
	Context    uintptr
	Queue      uintptr
	Mem        uintptr
	Program    uintptr
	Kernel     uintptr
	Event      uintptr
)

// Error is a failed OpenCL call: the function and its status.
type Error struct {
	Func   string
	Status int32
}

func (e *Error) Error() string { return e.Func + ": " + StatusName(e.Status) }

// StatusName is the name of an OpenCL status code (CL_INVALID_VALUE), or
// the number where the code is not one of OpenCL 1.2's.
func StatusName(code int32) string {
	if name, ok := statusNames[code]; ok {
		return name
	}
	return fmt.Sprintf("OpenCL status %d", code)
}

var statusNames = map[int32]string{
	0: "CL_SUCCESS", -1: "CL_DEVICE_NOT_FOUND", -2: "CL_DEVICE_NOT_AVAILABLE",
	-3: "CL_COMPILER_NOT_AVAILABLE", -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE",
	-5: "CL_OUT_OF_RESOURCES", -6: "CL_OUT_OF_HOST_MEMORY",
	-7: "CL_PROFILING_INFO_NOT_AVAILABLE", -8: "CL_MEM_COPY_OVERLAP",
	-9: "CL_IMAGE_FORMAT_MISMATCH", -10: "CL_IMAGE_FORMAT_NOT_SUPPORTED",
	-11: "CL_BUILD_PROGRAM_FAILURE", -12: "CL_MAP_FAILURE",
	-13: "CL_MISALIGNED_SUB_BUFFER_OFFSET", -14: "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST",
	-15: "CL_COMPILE_PROGRAM_FAILURE", -16: "CL_LINKER_NOT_AVAILABLE",
	-17: "CL_LINK_PROGRAM_FAILURE", -18: "CL_DEVICE_PARTITION_FAILED",
	-19: "CL_KERNEL_ARG_INFO_NOT_AVAILABLE",
	-30: "CL_INVALID_VALUE", -31: "CL_INVALID_DEVICE_TYPE", -32: "CL_INVALID_PLATFORM",
	-33: "CL_INVALID_DEVICE", -34: "CL_INVALID_CONTEXT", -35: "CL_INVALID_QUEUE_PROPERTIES",
	-36: "CL_INVALID_COMMAND_QUEUE", -37: "CL_INVALID_HOST_PTR", -38: "CL_INVALID_MEM_OBJECT",
	-39: "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR", -40: "CL_INVALID_IMAGE_SIZE",
	-41: "CL_INVALID_SAMPLER", -42: "CL_INVALID_BINARY", -43: "CL_INVALID_BUILD_OPTIONS",
	-44: "CL_INVALID_PROGRAM", -45: "CL_INVALID_PROGRAM_EXECUTABLE",
	-46: "CL_INVALID_KERNEL_NAME", -47: "CL_INVALID_KERNEL_DEFINITION",
	-48: "CL_INVALID_KERNEL", -49: "CL_INVALID_ARG_INDEX", -50: "CL_INVALID_ARG_VALUE",
	-51: "CL_INVALID_ARG_SIZE", -52: "CL_INVALID_KERNEL_ARGS", -53: "CL_INVALID_WORK_DIMENSION",
	-54: "CL_INVALID_WORK_GROUP_SIZE", -55: "CL_INVALID_WORK_ITEM_SIZE",
	-56: "CL_INVALID_GLOBAL_OFFSET", -57: "CL_INVALID_EVENT_WAIT_LIST", -58: "CL_INVALID_EVENT",
	-59: "CL_INVALID_OPERATION", -60: "CL_INVALID_GL_OBJECT", -61: "CL_INVALID_BUFFER_SIZE",
	-62: "CL_INVALID_MIP_LEVEL", -63: "CL_INVALID_GLOBAL_WORK_SIZE", -64: "CL_INVALID_PROPERTY",
	-65: "CL_INVALID_IMAGE_DESCRIPTOR", -66: "CL_INVALID_COMPILER_OPTIONS",
	-67: "CL_INVALID_LINKER_OPTIONS", -68: "CL_INVALID_DEVICE_PARTITION_COUNT",
	-1001: "CL_PLATFORM_NOT_FOUND_KHR",
}

// The bound functions, numbered by their slot in the ICD dispatch table
// (struct _cl_icd_dispatch in Khronos's cl_icd.h: the OpenCL 1.0 API in
// cl.h's order), which is how a vendor library loaded without the loader is
// called.
const (
	fnGetPlatformIDs        = 0
	fnGetPlatformInfo       = 1
	fnGetDeviceIDs          = 2
	fnGetDeviceInfo         = 3
	fnCreateContext         = 4
	fnReleaseContext        = 7
	fnCreateCommandQueue    = 9
	fnReleaseCommandQueue   = 11
	fnCreateBuffer          = 14
	fnReleaseMemObject      = 18
	fnCreateProgramWithSrc  = 26
	fnReleaseProgram        = 29
	fnBuildProgram          = 30
	fnGetProgramBuildInfo   = 33
	fnCreateKernel          = 34
	fnReleaseKernel         = 37
	fnSetKernelArg          = 38
	fnWaitForEvents         = 41
	fnReleaseEvent          = 44
	fnGetEventProfilingInfo = 45
	fnFlush                 = 46
	fnFinish                = 47
	fnEnqueueReadBuffer     = 48
	fnEnqueueWriteBuffer    = 49
	fnEnqueueCopyBuffer     = 50
	fnEnqueueNDRangeKernel  = 59
	dispatchSlots           = 60
)

var fnNames = map[int]string{
	fnGetPlatformIDs: "clGetPlatformIDs", fnGetPlatformInfo: "clGetPlatformInfo",
	fnGetDeviceIDs: "clGetDeviceIDs", fnGetDeviceInfo: "clGetDeviceInfo",
	fnCreateContext: "clCreateContext", fnReleaseContext: "clReleaseContext",
	fnCreateCommandQueue: "clCreateCommandQueue", fnReleaseCommandQueue: "clReleaseCommandQueue",
	fnCreateBuffer: "clCreateBuffer", fnReleaseMemObject: "clReleaseMemObject",
	fnCreateProgramWithSrc: "clCreateProgramWithSource", fnReleaseProgram: "clReleaseProgram",
	fnBuildProgram: "clBuildProgram", fnGetProgramBuildInfo: "clGetProgramBuildInfo",
	fnCreateKernel: "clCreateKernel", fnReleaseKernel: "clReleaseKernel",
	fnSetKernelArg: "clSetKernelArg", fnWaitForEvents: "clWaitForEvents",
	fnReleaseEvent: "clReleaseEvent", fnGetEventProfilingInfo: "clGetEventProfilingInfo",
	fnFlush: "clFlush", fnFinish: "clFinish",
	fnEnqueueReadBuffer: "clEnqueueReadBuffer", fnEnqueueWriteBuffer: "clEnqueueWriteBuffer",
	fnEnqueueCopyBuffer: "clEnqueueCopyBuffer", fnEnqueueNDRangeKernel: "clEnqueueNDRangeKernel",
}

// Library names.
const (
	LoaderLib = "libOpenCL.so.1"
	NvidiaLib = "libnvidia-opencl.so.1"
	// VendorsDir is where the loader looks for ICD files.
	VendorsDir = "/etc/OpenCL/vendors"
)

// lib is one opened library and its functions.
type lib struct {
	path   string
	fns    [dispatchSlots]uintptr
	direct bool // a vendor library called through its dispatch table
}

// call calls function slot with args and turns a non-zero status into an *Error.
func (l *lib) call(slot int, args ...uintptr) error {
	r, _, _ := syscallN(l.fns[slot], args...)
	if st := int32(r); st != 0 {
		return &Error{Func: fnNames[slot], Status: st}
	}
	return nil
}

// callErr calls a creating function slot whose last argument is a status
// pointer, and returns its handle.
func (l *lib) callErr(slot int, args ...uintptr) (uintptr, error) {
	var st int32
	args = append(args, uintptr(unsafe.Pointer(&st)))
	h, _, _ := syscallN(l.fns[slot], args...)
	if st != 0 {
		return 0, &Error{Func: fnNames[slot], Status: st}
	}
	if h == 0 {
		return 0, &Error{Func: fnNames[slot], Status: -30}
	}
	return h, nil
}

// openLoader binds the ICD loader's exported functions.
func openLoader(path string) (*lib, error) {
	h, err := dlopen(path)
	if err != nil {
		return nil, err
	}
	l := &lib{path: path}
	for slot, name := range fnNames {
		p, err := dlsym(h, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		l.fns[slot] = p
	}
	return l, nil
}

// openVendor binds a vendor (ICD) library directly: its platforms come from
// clIcdGetPlatformIDsKHR, and every other function from the dispatch table
// the first platform points to (one table per vendor library).
func openVendor(path string) (*lib, error) {
	h, err := dlopen(path)
	if err != nil {
		return nil, err
	}
	getPlatforms, err := dlsym(h, "clIcdGetPlatformIDsKHR")
	if err != nil {
		gefa, err2 := dlsym(h, "clGetExtensionFunctionAddress")
		if err2 != nil {
			return nil, fmt.Errorf("%s exports neither clIcdGetPlatformIDsKHR nor clGetExtensionFunctionAddress", path)
		}
		name := cString("clIcdGetPlatformIDsKHR")
		getPlatforms, _, _ = syscallN(gefa, uintptr(unsafe.Pointer(&name[0])))
		if getPlatforms == 0 {
			return nil, fmt.Errorf("%s: no clIcdGetPlatformIDsKHR", path)
		}
	}
	l := &lib{path: path, direct: true}
	l.fns[fnGetPlatformIDs] = getPlatforms
	var n uint32
	if err := l.call(fnGetPlatformIDs, 0, 0, uintptr(unsafe.Pointer(&n))); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: no platform", path)
	}
	ids := make([]PlatformID, n)
	if err := l.call(fnGetPlatformIDs, uintptr(n), uintptr(unsafe.Pointer(&ids[0])), 0); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	table := *(*unsafe.Pointer)(unsafe.Pointer(&ids[0])) // the platform object
	slots := *(*unsafe.Pointer)(table)                   // its first word: the dispatch table
	fns := (*[dispatchSlots]uintptr)(slots)              // the table's first slots
	for slot := range fnNames {
		if slot == fnGetPlatformIDs {
			continue
		}
		if fns[slot] == 0 {
			return nil, fmt.Errorf("%s: dispatch table has no %s", path, fnNames[slot])
		}
		l.fns[slot] = fns[slot]
	}
	return l, nil
}

// Platform is one OpenCL platform.
type Platform struct {
	ID                    PlatformID
	Name, Vendor, Version string
}

// Device is one OpenCL device and what the records say about it.
type Device struct {
	ID                                             DeviceID
	Platform                                       *Platform
	Type                                           uint64 // DeviceTypeCPU, DeviceTypeGPU, ...
	Name, Vendor, DriverVersion, Version, CVersion string
	ComputeUnits                                   uint32
	GlobalMem                                      uint64
	MaxWorkGroup                                   uintptr
	// CorrectDivSqrt: CL_DEVICE_SINGLE_FP_CONFIG has
	// CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT, so the build option
	// -cl-fp32-correctly-rounded-divide-sqrt is honoured.
	CorrectDivSqrt bool
	// FMA: CL_DEVICE_SINGLE_FP_CONFIG has CL_FP_FMA (fma() is a hardware
	// instruction; it is correctly rounded either way).
	FMA bool
	lib *lib
}

// Device types (CL_DEVICE_TYPE_*).
const (
	DeviceTypeCPU uint64 = 1 << 1
	DeviceTypeGPU uint64 = 1 << 2
	DeviceTypeAcc uint64 = 1 << 3
	deviceTypeAll uint64 = 0xFFFFFFFF
)

// TypeName is "cpu", "gpu", "accelerator" or "other".
func (d *Device) TypeName() string {
	switch {
	case d.Type&DeviceTypeGPU != 0:
		return "gpu"
	case d.Type&DeviceTypeCPU != 0:
		return "cpu"
	case d.Type&DeviceTypeAcc != 0:
		return "accelerator"
	}
	return "other"
}

// System is what Open found: the library, its platforms and their devices,
// in platform order and, within a platform, in the order it lists them.
type System struct {
	Library   string // the path dlopen opened
	Platforms []*Platform
	Devices   []*Device
	// Note says how the library was found when it was not the plain ICD
	// loader route (NVIDIA's library loaded directly), else "".
	Note string
	lib  *lib
}

// GPUs are the devices of type GPU, in Devices' order.
func (s *System) GPUs() []*Device {
	var out []*Device
	for _, d := range s.Devices {
		if d.Type&DeviceTypeGPU != 0 {
			out = append(out, d)
		}
	}
	return out
}

// Summary is one line listing the platforms and devices.
func (s *System) Summary() string {
	var parts []string
	for _, p := range s.Platforms {
		var devs []string
		for _, d := range s.Devices {
			if d.Platform == p {
				devs = append(devs, fmt.Sprintf("%s (%s)", d.Name, d.TypeName()))
			}
		}
		parts = append(parts, fmt.Sprintf("platform %q: %d device(s)%s", p.Name, len(devs), listSuffix(devs)))
	}
	return fmt.Sprintf("%s: %s", s.Library, strings.Join(parts, "; "))
}

func listSuffix(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return ": " + strings.Join(items, ", ")
}

var (
	openOnce sync.Once
	openSys  *System
	openErr  error
)

// LibraryEnv names an environment variable that, when set, is the one
// library Open uses: an ICD loader or a vendor library (called through its
// dispatch table), e.g. /usr/lib/x86_64-linux-gnu/libpocl.so.2.
const LibraryEnv = "MIRRORBENCH_OPENCL_LIBRARY"

// Open finds OpenCL once per process and lists its devices. The error says
// what is missing: which libraries were tried, which platforms were found.
func Open() (*System, error) {
	openOnce.Do(func() {
		if path := os.Getenv(LibraryEnv); path != "" {
			openSys, openErr = openNamed(path)
			return
		}
		openSys, openErr = open(LoaderLib, NvidiaLib)
	})
	return openSys, openErr
}

// openNamed opens the library LibraryEnv names, as a loader or else as a
// vendor library.
func openNamed(path string) (*System, error) {
	l, err := openLoader(path)
	if err != nil {
		var verr error
		if l, verr = openVendor(path); verr != nil {
			return nil, fmt.Errorf("no OpenCL device: %s=%s: %s", LibraryEnv, path, firstLine(err.Error()))
		}
	}
	sys, err := discover(l)
	if err != nil {
		return nil, fmt.Errorf("no OpenCL device: %s=%s: %w", LibraryEnv, path, err)
	}
	if len(sys.Devices) == 0 {
		return nil, fmt.Errorf("no OpenCL device: %s=%s: %s", LibraryEnv, path, sys.Summary())
	}
	sys.Note = "library chosen by " + LibraryEnv
	if l.direct {
		sys.Note += ", called through its ICD dispatch table"
	}
	return sys, nil
}

// OpenLibrary opens one specific library, a loader (direct false) or a
// vendor library (direct true), without caching: for tests and for
// choosing a vendor by hand.
func OpenLibrary(path string, direct bool) (*System, error) {
	var l *lib
	var err error
	if direct {
		l, err = openVendor(path)
	} else {
		l, err = openLoader(path)
	}
	if err != nil {
		return nil, err
	}
	return discover(l)
}

func open(loader, nvidia string) (*System, error) {
	var tried []string
	l, err := openLoader(loader)
	if err == nil {
		sys, derr := discover(l)
		if derr == nil && len(sys.Devices) > 0 {
			return sys, nil
		}
		if derr != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", loader, derr))
		} else {
			tried = append(tried, fmt.Sprintf("%s: no OpenCL device (%s)", loader, sys.Summary()))
		}
	} else {
		tried = append(tried, fmt.Sprintf("%s not found (%v)", loader, firstLine(err.Error())))
	}
	// The loader is missing or sees nothing: NVIDIA's library, directly.
	if v, verr := openVendor(nvidia); verr == nil {
		sys, derr := discover(v)
		if derr == nil && len(sys.Devices) > 0 {
			sys.Note = fmt.Sprintf("%s loaded directly: %s; no ICD file in %s names it", nvidia, tried[0], VendorsDir)
			return sys, nil
		}
		if derr != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", nvidia, derr))
		} else {
			tried = append(tried, fmt.Sprintf("%s: no device", nvidia))
		}
	} else {
		tried = append(tried, fmt.Sprintf("%s not found", nvidia))
	}
	return nil, errors.New("no OpenCL device: " + strings.Join(tried, "; ") + icdHint())
}

// icdHint lists the ICD files there are, since their absence is the usual cause.
func icdHint() string {
	entries, err := os.ReadDir(VendorsDir)
	if err != nil || len(entries) == 0 {
		return fmt.Sprintf("; %s is empty or missing", VendorsDir)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return fmt.Sprintf("; ICD files in %s: %s", VendorsDir, strings.Join(names, ", "))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// discover lists l's platforms and devices. A platform without devices
// (CL_DEVICE_NOT_FOUND) is listed with none.
func discover(l *lib) (*System, error) {
	sys := &System{Library: l.path, lib: l}
	var n uint32
	if err := l.call(fnGetPlatformIDs, 0, 0, uintptr(unsafe.Pointer(&n))); err != nil {
		var ce *Error
		if errors.As(err, &ce) && ce.Status == -1001 { // CL_PLATFORM_NOT_FOUND_KHR: no ICD file
			return sys, nil
		}
		return nil, err
	}
	if n == 0 {
		return sys, nil
	}
	ids := make([]PlatformID, n)
	if err := l.call(fnGetPlatformIDs, uintptr(n), uintptr(unsafe.Pointer(&ids[0])), 0); err != nil {
		return nil, err
	}
	for _, id := range ids {
		p := &Platform{ID: id}
		p.Name, _ = l.platformString(id, 0x0902)
		p.Vendor, _ = l.platformString(id, 0x0903)
		p.Version, _ = l.platformString(id, 0x0901)
		sys.Platforms = append(sys.Platforms, p)
		var nd uint32
		if err := l.call(fnGetDeviceIDs, uintptr(id), uintptr(deviceTypeAll), 0, 0, uintptr(unsafe.Pointer(&nd))); err != nil || nd == 0 {
			continue
		}
		devs := make([]DeviceID, nd)
		if err := l.call(fnGetDeviceIDs, uintptr(id), uintptr(deviceTypeAll), uintptr(nd), uintptr(unsafe.Pointer(&devs[0])), 0); err != nil {
			continue
		}
		for _, did := range devs {
			d := &Device{ID: did, Platform: p, lib: l}
			if err := d.query(); err != nil {
				return nil, err
			}
			sys.Devices = append(sys.Devices, d)
		}
	}
	return sys, nil
}

// Device info parameters.
const (
	deviceType           = 0x1000
	deviceMaxComputeUnit = 0x1002
	deviceMaxWorkGroup   = 0x1004
	deviceSingleFPConfig = 0x101B
	deviceGlobalMemSize  = 0x101F
	deviceName           = 0x102B
	deviceVendor         = 0x102C
	driverVersion        = 0x102D
	deviceVersion        = 0x102F
	deviceCVersion       = 0x103D

	fpFMA                  = 1 << 5
	fpCorrectlyRoundedDivS = 1 << 7
)

func (d *Device) query() error {
	l := d.lib
	var fp uint64
	if err := l.info(fnGetDeviceInfo, uintptr(d.ID), deviceType, unsafe.Pointer(&d.Type), 8); err != nil {
		return err
	}
	if err := l.info(fnGetDeviceInfo, uintptr(d.ID), deviceSingleFPConfig, unsafe.Pointer(&fp), 8); err != nil {
		return err
	}
	d.CorrectDivSqrt = fp&fpCorrectlyRoundedDivS != 0
	d.FMA = fp&fpFMA != 0
	_ = l.info(fnGetDeviceInfo, uintptr(d.ID), deviceMaxComputeUnit, unsafe.Pointer(&d.ComputeUnits), 4)
	_ = l.info(fnGetDeviceInfo, uintptr(d.ID), deviceGlobalMemSize, unsafe.Pointer(&d.GlobalMem), 8)
	_ = l.info(fnGetDeviceInfo, uintptr(d.ID), deviceMaxWorkGroup, unsafe.Pointer(&d.MaxWorkGroup), unsafe.Sizeof(d.MaxWorkGroup))
	d.Name, _ = l.deviceString(d.ID, deviceName)
	d.Vendor, _ = l.deviceString(d.ID, deviceVendor)
	d.DriverVersion, _ = l.deviceString(d.ID, driverVersion)
	d.Version, _ = l.deviceString(d.ID, deviceVersion)
	d.CVersion, _ = l.deviceString(d.ID, deviceCVersion)
	return nil
}

// info reads a fixed-size info value.
func (l *lib) info(slot int, obj uintptr, param uint32, dst unsafe.Pointer, size uintptr) error {
	return l.call(slot, obj, uintptr(param), size, uintptr(dst), 0)
}

// infoString reads a string info value of a getter with (obj, param) or
// (obj, obj2, param) before its size arguments.
func (l *lib) infoString(slot int, objs ...uintptr) (string, error) {
	var size uintptr
	args := append(append([]uintptr(nil), objs...), 0, 0, uintptr(unsafe.Pointer(&size)))
	if err := l.call(slot, args...); err != nil {
		return "", err
	}
	if size == 0 {
		return "", nil
	}
	buf := make([]byte, size)
	args = append(append([]uintptr(nil), objs...), size, uintptr(unsafe.Pointer(&buf[0])), 0)
	if err := l.call(slot, args...); err != nil {
		return "", err
	}
	return strings.TrimSpace(strings.TrimRight(string(buf), "\x00")), nil
}

func (l *lib) platformString(id PlatformID, param uint32) (string, error) {
	return l.infoString(fnGetPlatformInfo, uintptr(id), uintptr(param))
}

func (l *lib) deviceString(id DeviceID, param uint32) (string, error) {
	return l.infoString(fnGetDeviceInfo, uintptr(id), uintptr(param))
}

// cString is s with a terminating NUL.
func cString(s string) []byte { return append([]byte(s), 0) }
