package sim

import "github.com/wenzhou/danbao/models"

// ContagionResult is the result document's "contagion" block, present when
// the portfolio has links between borrowers (docs/chains.md). Over the
// horizon, per path: direct + contagion = the total loss (defaults alike),
// exactly, path by path; the means therefore add up too.
type ContagionResult struct {
	Links int `json:"links"` // rows of the links table
	// Direct and Contagion are the distributions of the loss over the
	// horizon from direct defaults and from defaults by contagion, in yuan.
	Direct    LossStats `json:"direct"`
	Contagion LossStats `json:"contagion"`
	// DirectDefaults and ContagionDefaults count the defaults the same way.
	DirectDefaults    CountStats `json:"direct_defaults"`
	ContagionDefaults CountStats `json:"contagion_defaults"`
	// Cascades are the largest cascades of the run by loss (at most
	// MaxCascades): the direct default at their root and what it toppled.
	Cascades []CascadeInfo `json:"cascades"`
}

// CascadeInfo is a Cascade in the document's units.
type CascadeInfo struct {
	Path     uint64 `json:"path"`
	Year     int    `json:"year"` // 1-based
	Root     string `json:"root_borrower"`
	Firms    int    `json:"firms"`    // firms toppled
	Defaults int    `json:"defaults"` // their loans' defaults
	Loss     Money  `json:"loss"`     // their loans' ultimate loss, yuan
}

// contagionDoc summarizes r's contagion split; nil without links.
func contagionDoc(pf *models.Portfolio, r *Result) *ContagionResult {
	if r.ContagionLoss == nil {
		return nil
	}
	H := r.Horizon
	dl, cl := make([]float64, r.Paths), make([]float64, r.Paths)
	dd, cd := make([]float64, r.Paths), make([]float64, r.Paths)
	for p := range r.Paths {
		var cLoss, cDef int64
		for t := range H {
			cLoss += r.ContagionLoss[p*H+t]
			cDef += int64(r.ContagionDefaults[p*H+t])
		}
		dl[p], cl[p] = float64(r.TotalLoss(p)-cLoss)/100, float64(cLoss)/100
		dd[p], cd[p] = float64(r.TotalDefaults(p)-cDef), float64(cDef)
	}
	c := &ContagionResult{Links: len(pf.Links),
		Direct: statsOf[Money](r.summarize(dl)), Contagion: statsOf[Money](r.summarize(cl)),
		DirectDefaults: statsOf[Number](r.summarize(dd)), ContagionDefaults: statsOf[Number](r.summarize(cd)),
		Cascades: []CascadeInfo{}}
	for _, cs := range r.Cascades {
		c.Cascades = append(c.Cascades, CascadeInfo{Path: cs.Path, Year: cs.Year + 1, Root: cs.Root, Firms: cs.Firms,
			Defaults: cs.Defaults, Loss: Money(float64(cs.Loss) / 100)})
	}
	return c
}
