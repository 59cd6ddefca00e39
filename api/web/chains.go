package web

import "github.com/wenzhou/danbao/sim"

// chainContributionRows are the contributions sheet's rows of the ES split
// by guarantee chain (sim.ChainContributions), largest first, then the
// loans in no chain; none without links.
func chainContributionRows(c *sim.Contributions) [][]any {
	cc := c.Chains
	if cc == nil {
		return nil
	}
	share := func(v sim.Money) any {
		if c.ES == 0 {
			return nil
		}
		return float64(v) / float64(c.ES)
	}
	const dim = "担保链 Chain"
	rows := make([][]any, 0, len(cc.Chains)+1)
	for _, ch := range cc.Chains {
		rows = append(rows, []any{dim, ch.Chain, ch.Chain, float64(ch.ES), share(ch.ES)})
	}
	return append(rows, []any{dim, "不在链中 Not in a chain", "not_in_chain", float64(cc.NotInChain), share(cc.NotInChain)})
}
