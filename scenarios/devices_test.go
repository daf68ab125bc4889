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
	} {
		if d, err := ParseDevices(in); err == nil {
			t.Errorf("ParseDevices(%q) = %+v, want an error", in, d)
		}
	}
}
