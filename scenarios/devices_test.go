package scenarios

import (
	"reflect"
	"testing"
)

func TestParseDevices(t *testing.T) {
	for _, tc := range []struct {
		in        string
		want      DeviceSpec
		canonical string
	}{
		{"cpu", DeviceSpec{Kind: "cpu", Threads: 1}, "cpu:1"},
		{"cpu:1", DeviceSpec{Kind: "cpu", Threads: 1}, "cpu:1"},
		{"cpu:4", DeviceSpec{Kind: "cpu", Threads: 4}, "cpu:4"},
		{"cpu:all", DeviceSpec{Kind: "cpu", Threads: 0}, "cpu:all"},
		{"cpu:0-3", DeviceSpec{Kind: "cpu", Threads: 1, IDs: []int{0, 1, 2, 3}}, "cpu:0-3"},
		{"cpu:0-1", DeviceSpec{Kind: "cpu", Threads: 1, IDs: []int{0, 1}}, "cpu:0,1"},
		{"cpu:3,5", DeviceSpec{Kind: "cpu", Threads: 1, IDs: []int{3, 5}}, "cpu:3,5"},
		{"cpu:0-1,4", DeviceSpec{Kind: "cpu", Threads: 1, IDs: []int{0, 1, 4}}, "cpu:0,1,4"},
		{"cpu:2-2", DeviceSpec{Kind: "cpu", Threads: 1, IDs: []int{2}}, "cpu:2-2"},
		{"gpu:0", DeviceSpec{Kind: "gpu", IDs: []int{0}}, "gpu:0"},
		{"gpu:0,1", DeviceSpec{Kind: "gpu", IDs: []int{0, 1}}, "gpu:0,1"},
		{"gpu:0-3", DeviceSpec{Kind: "gpu", IDs: []int{0, 1, 2, 3}}, "gpu:0-3"},
		{"gpu:1,0", DeviceSpec{Kind: "gpu", IDs: []int{1, 0}}, "gpu:1,0"},
		{"gpu:all", DeviceSpec{Kind: "gpu", All: true}, "gpu:all"},
		{"gpu:0x2", DeviceSpec{Kind: "gpu", IDs: []int{0, 0}}, "gpu:0x2"},
		{"gpu:0x1", DeviceSpec{Kind: "gpu", IDs: []int{0}}, "gpu:0"},
		{"gpu:0x2,1x2", DeviceSpec{Kind: "gpu", IDs: []int{0, 0, 1, 1}}, "gpu:0x2,1x2"},
		{"gpu:0,1x3,2-4", DeviceSpec{Kind: "gpu", IDs: []int{0, 1, 1, 1, 2, 3, 4}}, "gpu:0,1x3,2-4"},
		{"cl:0", DeviceSpec{Kind: "cl", IDs: []int{0}}, "cl:0"},
		{"cl:0-1", DeviceSpec{Kind: "cl", IDs: []int{0, 1}}, "cl:0,1"},
		{"cl:all", DeviceSpec{Kind: "cl", All: true}, "cl:all"},
		{"cl:1x4", DeviceSpec{Kind: "cl", IDs: []int{1, 1, 1, 1}}, "cl:1x4"},
	} {
		got, err := ParseDevices(tc.in)
		if err != nil {
			t.Errorf("ParseDevices(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseDevices(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.canonical {
			t.Errorf("ParseDevices(%q).String() = %q, want %q", tc.in, s, tc.canonical)
		}
		if again, err := ParseDevices(got.String()); err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("%q does not round-trip: %+v, %v", got.String(), again, err)
		}
	}
}

func TestParseDevicesErrors(t *testing.T) {
	for _, in := range []string{
		"", "tpu:0", "CPU", "cpu:", "cpu:x", "cpu:0", "cpu:-1", "cpu:+2", "cpu:1.5",
		"cpu:3-1", "cpu:0-1,1", "cpu:0,,1", "cpu:0-", "cpu:-3", "cpu:all,1", "cpu:99999",
		"cpu:0-99999", "cpu:0-4095,0-4095", "gpu", "gpu:", "gpu:x", "gpu:0,0", "gpu:1-0",
		"gpu:all:1", " cpu", "cpu:1 ",
		"cl", "cl:", "cl:x", "cl:0,0", "gpu:0x0", "gpu:0x", "gpu:x2", "gpu:0x2,0", "gpu:0,0x2",
		"gpu:0x65", "gpu:0x2x2", "gpu:0-1x2", "cpu:0x2", "gpu:0x+1", "OpenCL:0",
	} {
		if d, err := ParseDevices(in); err == nil {
			t.Errorf("ParseDevices(%q) = %+v, want an error", in, d)
		}
	}
}

func TestSharedDevices(t *testing.T) {
	for in, want := range map[string]bool{"gpu:0x2": true, "gpu:0,1": false, "cl:0-1": false, "cl:1,0x2": true, "gpu:all": false} {
		d, err := ParseDevices(in)
		if err != nil {
			t.Fatal(err)
		}
		if d.Shared() != want {
			t.Errorf("ParseDevices(%q).Shared() = %v, want %v", in, d.Shared(), want)
		}
	}
}
