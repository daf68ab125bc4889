package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", for the admin connection

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
)

// pgServer is a throwaway PostgreSQL server for tests: its own data folder
// under t.TempDir(), on a free loopback port, stopped in t.Cleanup.
type pgServer struct {
	bin      string // folder of initdb and pg_ctl
	dir      string // data, log, sockets
	owner    string // OS user running the server; "" for the test's own
	port     int
	password string // of the superuser "mirrorbench"; TCP logins need it
	admin    *sql.DB
	dbs      int
}

// findPostgres is the folder holding initdb and pg_ctl: on PATH, else the
// newest /usr/lib/postgresql/*/bin (Debian keeps them off PATH).
func findPostgres() string {
	initdb, err1 := exec.LookPath("initdb")
	_, err2 := exec.LookPath("pg_ctl")
	if err1 == nil && err2 == nil {
		return filepath.Dir(initdb)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "pg_ctl")) {
			return d
		}
	}
	return ""
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// startPostgres starts a server, or skips the test where it cannot.
func startPostgres(t *testing.T) *pgServer {
	bin := findPostgres()
	if bin == "" {
		testdeps.Missing(t, testdeps.PostgreSQL, "initdb and pg_ctl are on neither PATH nor /usr/lib/postgresql/*/bin")
	}
	s := &pgServer{bin: bin, dir: t.TempDir(), password: randomHex(t)}
	if os.Geteuid() == 0 {
		s.becomePostgres(t)
	}
	pwfile := filepath.Join(s.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o644); err != nil { // the server's owner reads it
		t.Fatal(err)
	}
	data := filepath.Join(s.dir, "data")
	s.run(t, "initdb", "-D", data, "-U", "mirrorbench", "--pwfile="+pwfile, "-E", "UTF8", "--locale=C",
		"--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync")
	s.port = freePort(t)
	// fsync and friends off: a test server's data need not survive a crash.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", s.port, s.dir)
	log := filepath.Join(s.dir, "server.log")
	if err := s.cmd("pg_ctl", "-D", data, "-l", log, "-o", opts, "-w", "-t", "60", "start").Run(); err != nil {
		out, _ := os.ReadFile(log)
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if s.admin != nil {
			s.admin.Close()
		}
		if out, err := s.cmd("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
			t.Errorf("pg_ctl stop: %v\n%s", err, out)
		}
	})
	admin, err := sql.Open("pgx", s.dsn("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	s.admin = admin
	return s
}

// becomePostgres prepares to run the server as the postgres user, since
// PostgreSQL refuses to run as root: the data folder is handed to it, and
// the folder above made passable.
func (s *pgServer) becomePostgres(t *testing.T) {
	u, err := user.Lookup("postgres")
	if err != nil {
		testdeps.Missing(t, testdeps.PostgreSQL, "running as root, which PostgreSQL refuses, and there is no postgres user to run it as (the package creates one)")
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		if _, err := exec.LookPath("su"); err != nil {
			testdeps.Missing(t, testdeps.PostgreSQL, "running as root, and neither runuser nor su is there to run PostgreSQL as postgres")
		}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(s.dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(s.dir), 0o711); err != nil { // the test's own temp root
		t.Fatal(err)
	}
	s.owner = "postgres"
}

// cmd runs one of the server's programs as the server's owner, in its
// folder (which that owner can read, unlike perhaps the test's).
func (s *pgServer) cmd(name string, args ...string) *exec.Cmd {
	argv := append([]string{filepath.Join(s.bin, name)}, args...)
	var c *exec.Cmd
	switch {
	case s.owner == "":
		c = exec.Command(argv[0], argv[1:]...)
	case hasRunuser():
		c = exec.Command("runuser", append([]string{"-u", s.owner, "--"}, argv...)...)
	default:
		c = exec.Command("su", s.owner, "-s", "/bin/sh", "-c", shellQuote(argv))
	}
	c.Dir = s.dir
	return c
}

func (s *pgServer) run(t *testing.T, name string, args ...string) {
	if out, err := s.cmd(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func hasRunuser() bool {
	_, err := exec.LookPath("runuser")
	return err == nil
}

func shellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// dsn is a URL for db, logging in over TCP with the password.
func (s *pgServer) dsn(db string) string {
	return fmt.Sprintf("postgres://mirrorbench:%s@127.0.0.1:%d/%s?sslmode=disable", s.password, s.port, db)
}

// newDatabase creates an empty database and returns its DSN.
func (s *pgServer) newDatabase(t *testing.T) string {
	s.dbs++
	name := fmt.Sprintf("test_%d", s.dbs) // made here, not input: safe to splice
	if _, err := s.admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return s.dsn(name)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "pw" + hex.EncodeToString(b)
}
