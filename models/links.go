package models

import "strconv"

// Link is one row of links.arrow, the optional table of guarantees between
// borrowers (互保/联保): From guarantees To's bank debt up to Amount. When
// To defaults, From is called for min(Amount, the debt To defaulted on);
// see docs/chains.md. Borrowers are the loans' BorrowerID (a loan without
// one is its own borrower).
type Link struct {
	From   string // from_borrower: the guarantor firm
	To     string // to_borrower: the firm whose debt is guaranteed
	Amount Cents  // the most From can be called for on To's default, ≥ 0
	// Capacity is the most From can pay in calls within a year before it
	// defaults itself; −1 means "not given": DefaultCapacityMultiple × From's
	// own balance. It belongs to From, so every link of one From that gives
	// it must give the same value.
	Capacity Cents
}

// NewLink returns a Link with the optional columns at their defaults.
func NewLink() Link { return Link{Capacity: -1} }

// DefaultCapacityMultiple is a guarantor firm's capacity to pay calls
// within a year, as a multiple of its own balance (the sum of its loans'
// balances in the snapshot), when the links table gives none. An estimate:
// docs/chains.md gives the reasoning (equity of a Wenzhou SME against its
// bank debt).
const DefaultCapacityMultiple = 1.0

// validateLinks checks p.Links against the loans' borrowers; rows are
// numbered as in a file with a header (Links[0] is row 2).
func (p *Portfolio) validateLinks(file string, probs *ProblemList) {
	if len(p.Links) == 0 {
		return
	}
	borrowers := make(map[string]struct{}, len(p.Loans))
	for i := range p.Loans {
		b := p.Loans[i].BorrowerID
		if b == "" {
			b = p.Loans[i].LoanID
		}
		borrowers[b] = struct{}{}
	}
	type pair struct{ from, to string }
	seen := make(map[pair]int, len(p.Links))
	capRow := make(map[string]int)
	for i := range p.Links {
		k := &p.Links[i]
		row := i + 2
		for _, f := range []struct{ field, id string }{{"from_borrower", k.From}, {"to_borrower", k.To}} {
			if f.id == "" {
				probs.Add(file, row, f.field, "", "is empty", ErrMissing)
			} else if _, ok := borrowers[f.id]; !ok {
				probs.Add(file, row, f.field, f.id, "is not a borrower_id of the loans table", ErrNotFound)
			}
		}
		if k.From != "" && k.From == k.To {
			probs.Add(file, row, "to_borrower", k.To, "is from_borrower itself (a firm cannot guarantee its own debt)", ErrInvalid)
		}
		if k.Amount < 0 {
			probs.Add(file, row, "amount", k.Amount.String(), "must not be negative", ErrInvalid)
		}
		if k.Capacity < -1 { // −1 fen is "not given"
			probs.Add(file, row, "capacity", k.Capacity.String(), "must not be negative", ErrInvalid)
		}
		if first, dup := seen[pair{k.From, k.To}]; dup {
			probs.Add(file, row, "to_borrower", k.To, "repeats the link of row "+strconv.Itoa(first+2)+" (one row per pair of firms)", ErrConflict)
		} else {
			seen[pair{k.From, k.To}] = i
		}
		if k.Capacity >= 0 {
			if first, ok := capRow[k.From]; ok && p.Links[first].Capacity != k.Capacity {
				probs.Add(file, row, "capacity", k.Capacity.String(), "differs from row "+strconv.Itoa(first+2)+"'s "+p.Links[first].Capacity.String()+" for the same from_borrower", ErrConflict)
			} else if !ok {
				capRow[k.From] = i
			}
		}
	}
}
