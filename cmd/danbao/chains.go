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
}
