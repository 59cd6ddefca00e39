package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wenzhou/danbao/scenarios"
)

func init() {
	root := &cobra.Command{
		Use:   "scenarios",
		Short: "List, show and validate stress scenarios",
		Long: `A scenario is a YAML file with the factor model, stress shocks, recoveries,
new business, the loss-sharing policy, the targets and capital injections
of a run. danbao has a library of built-in scenarios; a file may extend one
of them (or another file) and change only what differs. ` + "`danbao scenarios schema`" + `
prints the reference of every field.`,
	}

	var listJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			defer func() { listJSON = false }() // flags persist between runs in one process (tests)
			return listScenarios(cmd.OutOrStdout(), listJSON)
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print a JSON array of {name, description, extends}")

	var sets []string
	var source bool
	show := &cobra.Command{
		Use:   "show NAME|FILE",
		Short: "Print a scenario fully resolved (extends and --set applied) as YAML",
		Long: `show prints a scenario with every field, after resolving what it extends
and applying --set overrides, as YAML that danbao reads back unchanged.
--source prints a built-in's file as it is embedded instead, comments
(rationale and sources) included.`,
		Example: `  danbao scenarios show wenzhou-2011
  danbao scenarios show my-stress.yaml --set policy.bank_share=0.3
  danbao scenarios show export-slump --source`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer func() { sets, source = nil, false }() // flags persist between runs in one process (tests)
			if source {
				if len(sets) > 0 {
					return fmt.Errorf("--source prints the embedded file; it takes no --set")
				}
				src, err := scenarios.BuiltinSource(args[0])
				if err != nil {
					return err
				}
				_, err = cmd.OutOrStdout().Write(src)
				return err
			}
			return showScenario(cmd.OutOrStdout(), args[0], sets)
		},
	}
	show.Flags().StringArrayVar(&sets, "set", nil, "override a field, path=value (repeatable), e.g. policy.bank_share=0.3")
	show.Flags().BoolVar(&source, "source", false, "print the built-in's YAML source with its comments")

	validate := &cobra.Command{
		Use:   "validate FILE|NAME...",
		Short: "Check scenario files; print every problem as file:line:col and exit 1 if any",
		Long: `validate reads each scenario file (or built-in name) with everything it
extends, and reports every unknown key, value of the wrong type and
impossible value, one per line as file:line:col: path: message, on stderr.
It exits with status 1 when any file has a problem.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return validateScenarios(cmd.OutOrStdout(), cmd.ErrOrStderr(), args)
		},
	}

	schema := &cobra.Command{
		Use:   "schema",
		Short: "Print the scenario file reference (Markdown): every path, type, default and meaning",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(cmd.OutOrStdout(), scenarios.Schema())
			return err
		},
	}

	paths := &cobra.Command{
		Use:   "paths [NAME|FILE]",
		Short: "List the numeric paths of a scenario (what --set and sweep --param take)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "baseline"
			if len(args) == 1 {
				name = args[0]
			}
			sc, err := scenarios.Load(name)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			for _, p := range scenarios.NumericPaths(&sc) {
				v, err := scenarios.Get(&sc, p)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s\t%v\n", p, v)
			}
			return w.Flush()
		},
	}

	root.AddCommand(list, show, validate, schema, paths)
	rootCmd.AddCommand(root)
}

func listScenarios(w io.Writer, asJSON bool) error {
	list := scenarios.List()
	if asJSON {
		return printJSON(w, list)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDESCRIPTION")
	for _, in := range list {
		fmt.Fprintf(tw, "%s\t%s\n", in.Name, in.Description)
	}
	return tw.Flush()
}

func showScenario(w io.Writer, nameOrFile string, sets []string) error {
	sc, err := scenarios.Load(nameOrFile)
	if err != nil {
		return err
	}
	if err := scenarios.SetAll(&sc, sets); err != nil {
		return err
	}
	header := fmt.Sprintf("# %s, fully resolved", nameOrFile)
	if sc.Extends != "" {
		header += fmt.Sprintf(" (it extends %s)", sc.Extends)
	}
	if len(sets) > 0 {
		header += fmt.Sprintf(", with %d --set override(s)", len(sets))
	}
	sc.Extends = "" // every field is written out: nothing is left to extend
	out, err := scenarios.Marshal(sc)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n%s", header, out)
	return err
}

// validateScenarios checks every file, printing "FILE: ok" on stdout or
// every problem on stderr, and fails if any file has a problem.
func validateScenarios(stdout, stderr io.Writer, files []string) error {
	bad := 0
	for _, f := range files {
		sc, err := scenarios.Load(f)
		if err != nil {
			bad++
			fmt.Fprintln(stderr, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s, %d year(s), %d shock(s))\n", f, sc.Name, sc.HorizonYears, len(sc.Shocks))
	}
	if bad > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d scenario(s) invalid", bad, len(files))}
	}
	return nil
}
