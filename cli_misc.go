package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

func cmdList(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return badUsage("list takes no arguments")
	}
	suite, err := scenarios.Suite()
	if err != nil {
		return err
	}
	t := tablewriter.NewTable(stdout, tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header([]string{"name", "engine", "devices", "strategy", "replicas", "reduction", "batch", "epochs", "targets"})
	for _, sc := range suite {
		var targets []string
		for _, tg := range sc.Targets {
			targets = append(targets, fmt.Sprintf("%s >= %.3f by epoch %d", tg.Metric, tg.Min, tg.ByEpoch))
		}
		replicas := fmt.Sprint(sc.Replicas)
		if sc.Replicas == 0 {
			replicas = "all"
		}
		t.Append([]string{sc.Name, sc.Engine, sc.Devices, sc.Strategy, replicas, sc.Reduction,
			fmt.Sprint(sc.GlobalBatch), fmt.Sprint(sc.Epochs), strings.Join(targets, "; ")})
	}
	return t.Render()
}

func cmdHelp(args []string, stdout io.Writer) error {
	switch {
	case len(args) == 0:
		fmt.Fprint(stdout, usage)
	case args[0] == "scenarios":
		fmt.Fprint(stdout, scenarios.Help)
	default:
		return badUsage("help: unknown topic %q (try 'help scenarios')", args[0])
	}
	return nil
}
