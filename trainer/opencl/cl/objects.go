package cl

import (
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// Ctx is a context on one device with one in-order command queue, with
// profiling enabled: what one replica uses. Its methods are not safe for
// concurrent use; two Ctx on one device are independent (two queues).
type Ctx struct {
	Device *Device
	ctx    Context
	queue  Queue
	l      *lib
}

// Buffer flags (CL_MEM_*).
const (
	MemReadWrite uint64 = 1 << 0
	MemWriteOnly uint64 = 1 << 1
	MemReadOnly  uint64 = 1 << 2
)

const queueProfiling = 1 << 1 // CL_QUEUE_PROFILING_ENABLE

// NewCtx creates a context and a profiling command queue on d.
func NewCtx(d *Device) (*Ctx, error) {
	l := d.lib
	dev := d.ID
	c, err := l.callErr(fnCreateContext, 0, 1, uintptr(unsafe.Pointer(&dev)), 0, 0)
	if err != nil {
		return nil, err
	}
	q, err := l.callErr(fnCreateCommandQueue, c, uintptr(d.ID), queueProfiling)
	if err != nil {
		l.call(fnReleaseContext, c)
		return nil, err
	}
	return &Ctx{Device: d, ctx: Context(c), queue: Queue(q), l: l}, nil
}

// Release frees the queue and the context (after the queue's work ends).
func (c *Ctx) Release() {
	if c.queue != 0 {
		c.l.call(fnFinish, uintptr(c.queue))
		c.l.call(fnReleaseCommandQueue, uintptr(c.queue))
		c.queue = 0
	}
	if c.ctx != 0 {
		c.l.call(fnReleaseContext, uintptr(c.ctx))
		c.ctx = 0
	}
}

// Buffer allocates n float32 (or int32) values on the device.
func (c *Ctx) Buffer(n int) (Mem, error) {
	m, err := c.l.callErr(fnCreateBuffer, uintptr(c.ctx), uintptr(MemReadWrite), uintptr(max(n, 1)*4), 0)
	return Mem(m), err
}

// ReleaseMem frees a buffer.
func (c *Ctx) ReleaseMem(m Mem) {
	if m != 0 {
		c.l.call(fnReleaseMemObject, uintptr(m))
	}
}

// Build compiles source for the context's device with options and returns
// the program; a failed build's error carries the compiler's log.
func (c *Ctx) Build(source, options string) (Program, error) {
	src := cString(source)
	srcPtr := &src[0]
	size := uintptr(len(source))
	p, err := c.l.callErr(fnCreateProgramWithSrc, uintptr(c.ctx), 1, uintptr(unsafe.Pointer(&srcPtr)), uintptr(unsafe.Pointer(&size)))
	runtime.KeepAlive(src)
	if err != nil {
		return 0, err
	}
	opts := cString(options)
	dev := c.Device.ID
	if err := c.l.call(fnBuildProgram, p, 1, uintptr(unsafe.Pointer(&dev)), uintptr(unsafe.Pointer(&opts[0])), 0, 0); err != nil {
		log, _ := c.l.infoString(fnGetProgramBuildInfo, p, uintptr(c.Device.ID), 0x1183) // CL_PROGRAM_BUILD_LOG
		c.l.call(fnReleaseProgram, p)
		if log = strings.TrimSpace(log); log != "" {
			return 0, fmt.Errorf("%w\n%s", err, log)
		}
		return 0, err
	}
	return Program(p), nil
}

// ReleaseProgram frees a program.
func (c *Ctx) ReleaseProgram(p Program) {
	if p != 0 {
		c.l.call(fnReleaseProgram, uintptr(p))
	}
}

// Kernel creates the kernel name of program p.
func (c *Ctx) Kernel(p Program, name string) (Kernel, error) {
	n := cString(name)
	k, err := c.l.callErr(fnCreateKernel, uintptr(p), uintptr(unsafe.Pointer(&n[0])))
	if err != nil {
		return 0, fmt.Errorf("kernel %s: %w", name, err)
	}
	return Kernel(k), nil
}

// ReleaseKernel frees a kernel.
func (c *Ctx) ReleaseKernel(k Kernel) {
	if k != 0 {
		c.l.call(fnReleaseKernel, uintptr(k))
	}
}

// SetArgs sets a kernel's arguments from index 0: Mem values as buffers,
// int32 as int, uint32 as uint, float32 as float.
func (c *Ctx) SetArgs(k Kernel, args ...any) error {
	for i, a := range args {
		var err error
		switch v := a.(type) {
		case Mem:
			err = c.l.call(fnSetKernelArg, uintptr(k), uintptr(i), unsafe.Sizeof(v), uintptr(unsafe.Pointer(&v)))
		case int32:
			err = c.l.call(fnSetKernelArg, uintptr(k), uintptr(i), 4, uintptr(unsafe.Pointer(&v)))
		case uint32:
			err = c.l.call(fnSetKernelArg, uintptr(k), uintptr(i), 4, uintptr(unsafe.Pointer(&v)))
		case float32:
			err = c.l.call(fnSetKernelArg, uintptr(k), uintptr(i), 4, uintptr(unsafe.Pointer(&v)))
		default:
			return fmt.Errorf("SetArgs: argument %d has unsupported type %T", i, a)
		}
		if err != nil {
			return fmt.Errorf("argument %d: %w", i, err)
		}
	}
	return nil
}

// Run enqueues kernel k over global work-items in one dimension, in groups
// of local (0: the implementation chooses), and returns its event.
func (c *Ctx) Run(k Kernel, global, local int) (Event, error) {
	g := uintptr(global)
	l := uintptr(local)
	var lp uintptr
	if local > 0 {
		lp = uintptr(unsafe.Pointer(&l))
	}
	var ev Event
	err := c.l.call(fnEnqueueNDRangeKernel, uintptr(c.queue), uintptr(k), 1, 0, uintptr(unsafe.Pointer(&g)), lp, 0, 0, uintptr(unsafe.Pointer(&ev)))
	return ev, err
}

// Write copies src into m at element offset off. A non-blocking write reads
// src later: the caller keeps src unchanged and alive until the queue has
// passed it (a blocking call or Finish).
func (c *Ctx) Write(m Mem, off int, src []float32, blocking bool) (Event, error) {
	if len(src) == 0 {
		return 0, nil
	}
	var ev Event
	err := c.l.call(fnEnqueueWriteBuffer, uintptr(c.queue), uintptr(m), boolArg(blocking), uintptr(off*4), uintptr(len(src)*4),
		uintptr(unsafe.Pointer(&src[0])), 0, 0, uintptr(unsafe.Pointer(&ev)))
	return ev, err
}

// Read copies values of m from element offset off into dst, blocking.
func (c *Ctx) Read(m Mem, off int, dst []float32) (Event, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	var ev Event
	err := c.l.call(fnEnqueueReadBuffer, uintptr(c.queue), uintptr(m), 1, uintptr(off*4), uintptr(len(dst)*4),
		uintptr(unsafe.Pointer(&dst[0])), 0, 0, uintptr(unsafe.Pointer(&ev)))
	return ev, err
}

// Copy copies n values of src from element offset so to dst at do.
func (c *Ctx) Copy(src Mem, so int, dst Mem, do, n int) (Event, error) {
	var ev Event
	err := c.l.call(fnEnqueueCopyBuffer, uintptr(c.queue), uintptr(src), uintptr(dst), uintptr(so*4), uintptr(do*4), uintptr(n*4),
		0, 0, uintptr(unsafe.Pointer(&ev)))
	return ev, err
}

// Flush submits the queued commands.
func (c *Ctx) Flush() error { return c.l.call(fnFlush, uintptr(c.queue)) }

// Finish waits for every queued command.
func (c *Ctx) Finish() error { return c.l.call(fnFinish, uintptr(c.queue)) }

// Duration is an event's device time, from CL_PROFILING_COMMAND_START to
// _END, in nanoseconds; the event must have completed.
func (c *Ctx) Duration(ev Event) (int64, error) {
	var start, end uint64
	if err := c.l.info(fnGetEventProfilingInfo, uintptr(ev), 0x1282, unsafe.Pointer(&start), 8); err != nil {
		return 0, err
	}
	if err := c.l.info(fnGetEventProfilingInfo, uintptr(ev), 0x1283, unsafe.Pointer(&end), 8); err != nil {
		return 0, err
	}
	return int64(end - start), nil
}

// ReleaseEvent frees an event.
func (c *Ctx) ReleaseEvent(ev Event) {
	if ev != 0 {
		c.l.call(fnReleaseEvent, uintptr(ev))
	}
}

func boolArg(b bool) uintptr {
	if b {
		return 1
	}
	return 0
}
