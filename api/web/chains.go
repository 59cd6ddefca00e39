package web

import (
	"strconv"

	"github.com/wenzhou/danbao/sim"
)

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

// chainsView is the run page's guarantee-chain block (docs/chains.md):
// the split of the loss and the defaults over the horizon into direct and
// contagion, the largest cascades and the chains' ES contributions, all
// money in 万元. Empty (Links 0) for a portfolio without links.
type chainsView struct {
	Links    int
	Split    []chainSplitRow
	Cascades []cascadeRow
	// Chains are the largest chains' Euler contributions (at most
	// maxChainRows), Others the rest summed, NotInChain the loans in no
	// chain; empty without the policy ledger.
	Chains             []chainContribRow
	Others, NotInChain chainContribRow
	Level              string // of the contributions, "99 %"
}

type chainSplitRow struct {
	Name                   name
	Mean, SE, ES99         string // 万元
	Defaults, DefaultsES99 string
}

type cascadeRow struct {
	Rank                  int
	Root                  string
	Path, Year            string
	Firms, Defaults, Loss string
}

type chainContribRow struct {
	Chain, Firms, ES, Share string
}

// maxChainRows is how many chains the page lists by contribution.
const maxChainRows = 10

// newChainsView builds the chain block of doc; the zero view without links.
func newChainsView(doc *sim.Document) chainsView {
	c := doc.Contagion
	if c == nil {
		return chainsView{}
	}
	v := chainsView{Links: c.Links}
	for _, r := range []struct {
		n name
		l sim.LossStats
		d sim.CountStats
	}{
		{name{"Direct defaults", "直接违约"}, c.Direct, c.DirectDefaults},
		{name{"Contagion (chains)", "担保链传染"}, c.Contagion, c.ContagionDefaults},
	} {
		v.Split = append(v.Split, chainSplitRow{Name: r.n, Mean: fmtWan(float64(r.l.Mean)), SE: fmtWan(float64(r.l.SE.Mean)),
			ES99: fmtWan(float64(r.l.ES["0.99"])), Defaults: fmtNum(float64(r.d.Mean), 1), DefaultsES99: fmtNum(float64(r.d.ES["0.99"]), 1)})
	}
	for k, cs := range c.Cascades {
		v.Cascades = append(v.Cascades, cascadeRow{Rank: k + 1, Root: cs.Root, Path: strconv.FormatUint(cs.Path, 10),
			Year: "第" + strconv.Itoa(cs.Year) + "年", Firms: strconv.Itoa(cs.Firms), Defaults: strconv.Itoa(cs.Defaults),
			Loss: fmtWan(float64(cs.Loss))})
	}
	con := doc.Contributions
	if con == nil || con.Chains == nil {
		return v
	}
	es := float64(con.ES)
	share := func(x float64) string {
		if es == 0 {
			return ""
		}
		return fmtPct(x/es, 1)
	}
	v.Level = levelPct(strconv.FormatFloat(con.Level, 'g', -1, 64))
	cc := con.Chains
	var rest float64
	for k, ch := range cc.Chains {
		if k >= maxChainRows {
			rest += float64(ch.ES)
			continue
		}
		v.Chains = append(v.Chains, chainContribRow{Chain: ch.Chain, Firms: strconv.Itoa(ch.Firms), ES: fmtWan(float64(ch.ES)), Share: share(float64(ch.ES))})
	}
	if n := len(cc.Chains) - maxChainRows; n > 0 {
		v.Others = chainContribRow{Chain: strconv.Itoa(n), ES: fmtWan(rest), Share: share(rest)}
	}
	v.NotInChain = chainContribRow{ES: fmtWan(float64(cc.NotInChain)), Share: share(float64(cc.NotInChain))}
	return v
}
