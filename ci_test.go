package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// .ci/run runs the README's second command after make test (the quick
// start's run, in a fresh HOME): when the README's command changes, CI must
// run the new one.
func TestCIRunsTheREADMEsSecondCommand(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	run, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)## Two commands on a fresh machine\n.*?```sh\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md: no ```sh block under \"## Two commands on a fresh machine\"")
	}
	var cmds []string
	for _, line := range strings.Split(string(block[1]), "\n") {
		if cmd, _, _ := strings.Cut(line, "#"); strings.TrimSpace(cmd) != "" {
			cmds = append(cmds, strings.Join(strings.Fields(cmd), " "))
		}
	}
	if len(cmds) != 2 || cmds[0] != "make test" {
		t.Fatalf("README.md's quick start: %q, want make test and one more command", cmds)
	}
	_, after, ok := strings.Cut(string(run), "\nmake test\n")
	if !ok {
		t.Fatal(".ci/run: no make test line")
	}
	for _, line := range strings.Split(after, "\n") {
		if words := " " + strings.Join(strings.Fields(line), " ") + " "; strings.Contains(words, " "+cmds[1]+" ") {
			return
		}
	}
	t.Errorf(".ci/run does not run the README's second command %q after make test", cmds[1])
}
