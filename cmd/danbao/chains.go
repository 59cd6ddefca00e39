package main

import (
	"fmt"
	"io"

	"github.com/wenzhou/danbao/sim"
)

// printContagion prints the direct/contagion split and the largest
// cascades of a run on a portfolio with links (docs/chains.md).
func printContagion(w io.Writer, d *sim.Document) {
	c := d.Contagion
	if c == nil {
		return
	}
	es := sim.LevelKey(1) // 0.99
	fmt.Fprintf(w, "\nGuarantee chains (%d links): total loss over the horizon = direct + contagion, path by path\n", c.Links)
	fmt.Fprintf(w, "  %-10s %14s %14s %12s\n", "", "mean (万)", "ES 0.99 (万)", "mean defaults")
	row := func(name string, l sim.LossStats, n sim.CountStats) {
		fmt.Fprintf(w, "  %-10s %14.1f %14.1f %12.1f\n", name, float64(l.Mean)/1e4, float64(l.ES[es])/1e4, float64(n.Mean))
	}
	row("direct", c.Direct, c.DirectDefaults)
	row("contagion", c.Contagion, c.ContagionDefaults)
	if len(c.Cascades) > 0 {
		fmt.Fprintf(w, "  Largest cascades (path, year, root borrower: firms toppled, defaults, loss 万):\n")
		for _, cs := range c.Cascades {
			fmt.Fprintf(w, "    %d y%d %s: %d firms, %d defaults, %.1f\n", cs.Path, cs.Year, cs.Root, cs.Firms, cs.Defaults, float64(cs.Loss)/1e4)
		}
	}
	printChainContributions(w, d.Contributions)
}

// printChainContributions prints the largest chains' Euler contributions
// to the ES of the total loss, and the part of the loans in no chain.
func printChainContributions(w io.Writer, c *sim.Contributions) {
	if c == nil || c.Chains == nil {
		return
	}
	cc := c.Chains
	share := func(v sim.Money) float64 {
		if c.ES == 0 {
			return 0
		}
		return 100 * float64(v) / float64(c.ES)
	}
	fmt.Fprintf(w, "  ES %g of the total loss %.1f 万 by chain (Euler contributions; a chain is named by its smallest borrower id):\n", c.Level, float64(c.ES)/1e4)
	fmt.Fprintf(w, "    %-20s %6s %12s %7s\n", "chain", "firms", "ES (万)", "share")
	for _, ch := range cc.Chains[:min(10, len(cc.Chains))] {
		fmt.Fprintf(w, "    %-20s %6d %12.1f %6.1f%%\n", ch.Chain, ch.Firms, float64(ch.ES)/1e4, share(ch.ES))
	}
	var rest sim.Money
	for _, ch := range cc.Chains[min(10, len(cc.Chains)):] {
		rest += ch.ES
	}
	if n := len(cc.Chains) - 10; n > 0 {
		fmt.Fprintf(w, "    %-20s %6s %12.1f %6.1f%%\n", fmt.Sprintf("%d other chains", n), "", float64(rest)/1e4, share(rest))
	}
	fmt.Fprintf(w, "    %-20s %6s %12.1f %6.1f%%\n", "not in a chain", "", float64(cc.NotInChain)/1e4, share(cc.NotInChain))
}
