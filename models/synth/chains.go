package synth

import (
	"fmt"
	"math"
	"slices"

	"github.com/wenzhou/danbao/models"
)

// Guarantee chains (互保/联保) of Options.Chains. Every figure here is an
// estimate (docs/chains.md gives the reasoning; no published count of the
// chains among the government guarantors' borrowers was found).
const (
	// ChainShare is the share of borrowers that are in a chain.
	ChainShare = 0.25
	// Chain sizes are 3 + a geometric number of mean chainExtraMean, at
	// most 30 firms.
	chainMin, chainMax = 3, 30
	chainExtraMean     = 5.0
	// crossIndustry is the share of a county's chain members moved to a
	// place drawn anywhere in the county's list: chains are mostly, not
	// only, within one industry cluster; they never cross counties.
	crossIndustry = 0.10
	// Around its ring (each firm guarantees the next: one cycle per chain),
	// a firm also guarantees the one before it with probability mutualProb
	// (互保, mutual guarantee) and one more member drawn at random with
	// probability extraLinkProb (联保, joint guarantee).
	mutualProb    = 0.5
	extraLinkProb = 0.3
	// A link's amount is uniform in [amountLo, amountHi] × the guaranteed
	// firm's own balance, rounded to 1万 (at least 1万).
	amountLo, amountHi = 0.5, 1.5
)

// chainLinks draws the chains of pf's borrowers from a stream of its own
// (so a portfolio with chains has exactly the loans of one without).
// pf must have passed Validate (every loan has its BorrowerID).
func chainLinks(pf *models.Portfolio, seed uint64) []models.Link {
	r := newStream(seed ^ 0x636861696e73) // "chains"
	type firm struct {
		id, county, industry string
		own                  models.Cents
	}
	var firms []firm
	at := map[string]int{}
	for i := range pf.Loans {
		l := &pf.Loans[i]
		k, ok := at[l.BorrowerID]
		if !ok {
			k = len(firms)
			at[l.BorrowerID] = k
			firms = append(firms, firm{id: l.BorrowerID, county: l.County, industry: l.Industry})
		}
		firms[k].own += l.Balance
	}
	// The chain members of each county, by industry then borrower order.
	byCounty := map[string][]int{}
	var counties []string
	for k := range firms {
		if r.Float64() >= ChainShare {
			continue
		}
		c := firms[k].county
		if _, ok := byCounty[c]; !ok {
			counties = append(counties, c)
		}
		byCounty[c] = append(byCounty[c], k)
	}
	slices.Sort(counties)
	var links []models.Link
	amount := func(to int) models.Cents {
		a := float64(firms[to].own) * (amountLo + (amountHi-amountLo)*r.Float64())
		return max(models.Cents(math.Round(a/float64(models.Wan)))*models.Wan, models.Wan)
	}
	for _, c := range counties {
		list := byCounty[c]
		slices.SortStableFunc(list, func(a, b int) int {
			if firms[a].industry < firms[b].industry {
				return -1
			}
			if firms[a].industry > firms[b].industry {
				return 1
			}
			return 0
		})
		for j := range list {
			if r.Float64() < crossIndustry {
				o := r.IntN(len(list))
				list[j], list[o] = list[o], list[j]
			}
		}
		for len(list) >= chainMin {
			size := chainMin + int(math.Floor(-chainExtraMean*math.Log(1-r.Float64())))
			size = min(size, chainMax, len(list))
			if len(list)-size < chainMin {
				size = min(len(list), chainMax) // no remainder too small to chain
			}
			ch := list[:size]
			list = list[size:]
			seen := map[[2]int]bool{}
			add := func(from, to int) {
				if from == to || seen[[2]int{from, to}] {
					return
				}
				seen[[2]int{from, to}] = true
				links = append(links, models.Link{From: firms[from].id, To: firms[to].id, Amount: amount(to), Capacity: -1})
			}
			for j, f := range ch {
				next, prev := ch[(j+1)%size], ch[(j+size-1)%size]
				add(f, next)
				if r.Float64() < mutualProb {
					add(f, prev)
				}
				if r.Float64() < extraLinkProb {
					add(f, ch[r.IntN(size)])
				}
			}
		}
	}
	return links
}

// withChains adds chainLinks to pf, scales its PDs by chainsPDScale, and
// validates it again.
func withChains(pf *models.Portfolio, seed uint64) error {
	pf.Links = chainLinks(pf, seed)
	for i := range pf.Loans {
		l := &pf.Loans[i]
		l.PD = math.Round(math.Min(math.Max(l.PD*chainsPDScale, pdMin), pdMax)*1e5) / 1e5
	}
	if err := pf.Validate(models.DefaultFiles); err != nil {
		return fmt.Errorf("synth: generated chains are invalid (a bug): %w", err)
	}
	return nil
}

// chainsPDScale scales the PDs of a book with chains so that, with the
// chains' contagion defaults on top, the baseline's mean year-1 city
// compensation rate stays at the 1.8 % anchor of pdCalibration (docs/chains.md
// "The example's calibration").
var chainsPDScale = 0.81
