package store

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/hardware"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://user:secret@host/db", "postgres://user:xxxxx@host/db"},
		{"postgresql://user:secret@host:5432/db?sslmode=require", "postgresql://user:xxxxx@host:5432/db?sslmode=require"},
		{"postgres://user:p@ss/w:rd@host/db", "postgres://user:xxxxx@host/db"}, // badly escaped
		{"postgres://user:s%40cret@host/db", "postgres://user:xxxxx@host/db"},
		{"postgres://user@host/db?password=secret&sslmode=disable", "postgres://user@host/db?password=xxxxx&sslmode=disable"},
		{"postgres://user@host/db", "postgres://user@host/db"},
		{"postgres://host/db", "postgres://host/db"},
		{"host=db user=ci password=secret dbname=runs", "host=db user=ci password=xxxxx dbname=runs"},
		{"host=db password = 'se cr\\'et' dbname=runs", "host=db password = xxxxx dbname=runs"},
		{"host=db PASSWORD='unterminated secret", "host=db PASSWORD=xxxxx"},
		{"results/mirrorbench.db", "results/mirrorbench.db"},
	} {
		if got := Redact(tc.dsn); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}

// TestOpenErrorsHidePassword opens DSNs that fail in every way that needs
// no server, and checks that no error holds the password in any form.
func TestOpenErrorsHidePassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String() // nothing listens once it is closed
	l.Close()
	const pw = "hunter2-Sekret"
	for _, dsn := range []string{
		"postgres://ci:" + pw + "@" + closed + "/runs?connect_timeout=5",
		"postgresql://ci:" + pw + "@" + closed + "/runs?sslmode=disable",
		"postgres://ci:hunter2%2DSekret@" + closed + "/runs", // decodes to pw
		"postgres://ci:" + pw + "@host:notaport/runs",
		"postgres://ci:" + pw + "@[::1/runs",
		"postgres://ci@" + closed + "/runs?password=" + pw,
		"postgres://ci:" + pw + "@" + closed + "/runs?sslmode=bogus",
		"host=127.0.0.1 port=" + closed[strings.LastIndex(closed, ":")+1:] + " user=ci password=" + pw + " dbname=runs",
		"host=127.0.0.1 port=bad user=ci password='" + pw + "' dbname=runs",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := Open(ctx, dsn)
		cancel()
		if err == nil {
			st.Close()
			t.Errorf("Open(%s) worked", Redact(dsn))
			continue
		}
		t.Logf("%v", err)
		if strings.Contains(err.Error(), pw) || strings.Contains(Redact(dsn), pw) {
			t.Errorf("the password shows: %v", err)
		}
	}
}

func TestScrub(t *testing.T) {
	dsn := "postgres://ci:p%40ss@host/db"
	err := scrub(&storeError{"postgres", context.Canceled}, secrets(dsn))
	if err.Error() != "store (postgres): context canceled" {
		t.Errorf("scrub changed a clean error: %v", err)
	}
	err = scrub(&storeError{"postgres", &net.AddrError{Err: "bad", Addr: "p@ss and p%40ss"}}, secrets(dsn))
	if strings.Contains(err.Error(), "p@ss") || strings.Contains(err.Error(), "p%40ss") {
		t.Errorf("scrub left the password: %v", err)
	}
}

func TestHostClass(t *testing.T) {
	if got, want := HostClass(testHosts[0]), "AMD EPYC 9B45 · 2 threads · amd64"; got != want {
		t.Errorf("HostClass = %q, want %q", got, want)
	}
	if got := HostClass(nil); got != "unknown host" {
		t.Errorf("HostClass(nil) = %q", got)
	}
	// A record from before the OS was asked: CPUID's 254 threads in a 2-CPU VM. The count
	// the runtime saw corrects it; the model stays what the record says.
	old := &hardware.Host{CPUModel: "Oxide Virtual Turin-like Processor", PhysicalCores: 254, Threads: 254, Arch: "amd64", NumCPU: 2}
	if got, want := HostClass(old), "Oxide Virtual Turin-like Processor · 2 threads · amd64"; got != want {
		t.Errorf("HostClass(old record) = %q, want %q", got, want)
	}
	// A new one: the OS's model, CPUID's brand beside it in the record but not in the class;
	// a 1.5-CPU quota rounds up to 2.
	vm := &hardware.Host{CPUModel: "AMD EPYC", CPUIDModel: "Oxide Virtual Turin-like Processor", PhysicalCores: 2, Threads: 2,
		Arch: "amd64", NumCPU: 8, CgroupCPULimit: 1.5}
	if got, want := HostClass(vm), "AMD EPYC · 2 threads · amd64"; got != want {
		t.Errorf("HostClass(quota) = %q, want %q", got, want)
	}
	vm.CgroupCPULimit, vm.Threads = 0.5, 1
	if got, want := HostClass(vm), "AMD EPYC · 1 thread · amd64"; got != want {
		t.Errorf("HostClass(half a CPU) = %q, want %q", got, want)
	}
}

// Any libpq key=value string is PostgreSQL, never a SQLite file named after
// its password; paths stay paths.
func TestIsPostgres(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://u:p@h/db":                       true,
		"PostgreSQL://h/db":                         true,
		"host=h password=secret":                    true,
		"sslrootcert=ca.pem host=h password=secret": true,
		"  options = '-c x=y' dbname=d":             true,
		"results/mirrorbench.db":                    false,
		"results/a=b.db":                            false,
		"/tmp/x.db":                                 false,
	} {
		if got := isPostgres(dsn); got != want {
			t.Errorf("isPostgres(%q) = %v, want %v", dsn, got, want)
		}
	}
}
