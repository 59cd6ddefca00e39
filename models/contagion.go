package models

// ContagionModel tunes the contagion of guarantee chains (docs/chains.md);
// it acts only on a portfolio with links.
type ContagionModel struct {
	// PDUplift u raises, for the following year, the PD of a firm that
	// was called on its guarantees in a year and stood (its calls C did
	// not exceed its capacity K that year): each of its loans has
	// min(pd × (1 + u·C/K), MaxPD) in the next year. 0 (default) is off;
	// at most MaxPDUplift (docs/chains.md "PD uplift").
	PDUplift float64 `yaml:"pd_uplift" json:"pd_uplift"`
}

// MaxPDUplift bounds model.contagion.pd_uplift: a firm that paid calls up
// to its capacity has at most 21 times its PD the next year.
const MaxPDUplift = 20

// On reports whether a called firm carries a higher PD into the next year.
func (c ContagionModel) On() bool { return c.PDUplift != 0 }

func (c ContagionModel) validate(bad func(path, format string, args ...any)) {
	if !(c.PDUplift >= 0 && c.PDUplift <= MaxPDUplift) {
		bad("model.contagion.pd_uplift", "%v is not in [0, %d]", c.PDUplift, MaxPDUplift)
	}
}
