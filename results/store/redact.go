package store

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// mask replaces a password wherever one is redacted.
const mask = "xxxxx"

// passwordParam matches password=VALUE in a key=value DSN (the value bare or
// single-quoted with backslash escapes, an unterminated quote running to
// the end) and in a URL's query (the value ending at '&').
var passwordParam = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:\\.|[^'\\])*'?|[^\s&]*)`)

// Redact returns dsn with its password replaced by "xxxxx", for errors and
// logs: "postgres://user:secret@host/db" reads
// "postgres://user:xxxxx@host/db", and "host=h password=secret" reads
// "host=h password=xxxxx". A SQLite path comes back unchanged. It parses
// nothing strictly, so a malformed DSN is redacted too; where it cannot tell
// where a password ends it redacts more, never less.
func Redact(dsn string) string {
	out := passwordParam.ReplaceAllString(dsn, "${1}"+mask)
	if i, j, ok := userinfoPassword(out); ok {
		out = out[:i] + mask + out[j:]
	}
	return out
}

// userinfoPassword finds the password of a URL DSN, "scheme://user:PW@...",
// as out[i:j]. The userinfo is taken to end at the last '@' because a
// password, badly escaped, may itself hold '@', '/' or '?'.
func userinfoPassword(dsn string) (i, j int, ok bool) {
	scheme := strings.Index(dsn, "://")
	if scheme < 0 {
		return 0, 0, false
	}
	start := scheme + len("://")
	at := strings.LastIndex(dsn[start:], "@")
	if at < 0 {
		return 0, 0, false
	}
	colon := strings.Index(dsn[start:start+at], ":")
	if colon < 0 {
		return 0, 0, false
	}
	return start + colon + 1, start + at, true
}

// secrets lists the forms of dsn's password that an error text might
// hold: as written, and unescaped (URL-decoded, or unquoted).
func secrets(dsn string) []string {
	var out []string
	add := func(s string) {
		if s != "" && s != mask {
			out = append(out, s)
		}
	}
	if i, j, ok := userinfoPassword(dsn); ok {
		add(dsn[i:j])
		if u, err := url.PathUnescape(dsn[i:j]); err == nil {
			add(u)
		}
	}
	for _, m := range passwordParam.FindAllStringSubmatch(dsn, -1) {
		v := m[2]
		add(v)
		if u, err := url.QueryUnescape(v); err == nil {
			add(u)
		}
		if strings.HasPrefix(v, "'") {
			v = strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
			add(strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(v))
		}
	}
	return out
}

// scrub returns err with every form of a password in secrets replaced.
// Drivers redact their own messages, but a password must not depend on
// that: an error whose text holds one is replaced by a plain error of the
// cleaned text, deliberately without the original wrapped inside.
func scrub(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		clean = strings.ReplaceAll(clean, s, mask)
	}
	if clean == msg {
		return err
	}
	return errors.New(clean)
}
