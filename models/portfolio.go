package models

import (
	"fmt"
	"math"
	"strconv"
)

// Loan is one guarantee contract (one row of loans.arrow). Columns and
// defaults follow docs/data.md.
type Loan struct {
	LoanID     string // unique
	BorrowerID string // default LoanID; used for concentration limits
	// GroupID is the related-party group (关联方) of the borrower, or ""
	// for none; the concentration limit per group is 15 % of net assets.
	GroupID     string
	GuarantorID string // must exist among the guarantors
	BankID      string // default "unknown"
	County      string // GB/T 2260 code (e.g. "330382" 乐清市) or name
	Industry    string // industry cluster, e.g. "footwear"
	Product     string // general (default), first_loan, tech, startup, agri
	Segment     string // micro (default), small, agri, other
	Balance     Cents  // outstanding principal

	// GuaranteeRatio is the part of the loan the guarantor covers. NaN means
	// "not given": 1 − the policy's bank share.
	GuaranteeRatio float64
	InterestRate   float64 // yearly normal interest rate, default 0
	// FeeRate is the yearly guarantee fee as a fraction of the balance.
	// NaN means "not given": the policy's fee schedule.
	FeeRate float64

	StartDate    Date // zero: unknown
	MaturityDate Date // zero: after the horizon

	PD  float64 // one-year probability of default, 0 < PD < 1
	LGD float64 // ultimate loss given default after recoveries, 0 ≤ LGD ≤ 1

	ReguaranteeEligible bool // default true
	CounterGuarantee    bool // default false
}

// NewLoan returns a Loan with the optional columns at their defaults.
func NewLoan() Loan {
	return Loan{
		BankID: "unknown", Product: "general", Segment: "micro",
		GuaranteeRatio: math.NaN(), FeeRate: math.NaN(),
		ReguaranteeEligible: true,
	}
}

// Guarantor levels.
const (
	LevelCity   = "city"
	LevelCounty = "county"
)

// Guarantor is one government financing-guarantee institution (one row of
// guarantors.arrow).
type Guarantor struct {
	GuarantorID       string
	Name              string
	Level             string // "city" or "county"
	County            string // county code it serves (the city's own code for the city institution)
	RegisteredCapital Cents
	NetAssets         Cents
	ParentID          string  // the city institution holding equity in this one, if any
	ParentStake       float64 // parent's equity share, 0..1
	// GovernmentCapital is the capital contributed by government, for the
	// fiscal leverage. Default: RegisteredCapital.
	GovernmentCapital Cents
	Reserves          Cents
	InReguarantee     bool // in the provincial re-guarantee system; default true
	Focused           bool // small/micro and agri focused: leverage cap 15 instead of 10
	// OpexRate is yearly operating cost as a fraction of the guaranteed
	// balance; NaN means the policy's value.
	OpexRate float64
	// InvestmentYield is the yearly yield on net assets; NaN means the policy's value.
	InvestmentYield float64
}

// NewGuarantor returns a Guarantor with the optional columns at their defaults.
func NewGuarantor() Guarantor {
	return Guarantor{InReguarantee: true, OpexRate: math.NaN(), InvestmentYield: math.NaN(), GovernmentCapital: -1}
}

// Portfolio is a snapshot: every loan and every guarantor at AsOf.
type Portfolio struct {
	AsOf       Date // snapshot date; zero means unknown
	Loans      []Loan
	Guarantors []Guarantor
	// Links are the guarantees between borrowers (links.arrow); nil or
	// empty when the snapshot has none.
	Links []Link
}

// GuarantorIndex maps guarantor_id to its index in p.Guarantors.
func (p *Portfolio) GuarantorIndex() map[string]int {
	m := make(map[string]int, len(p.Guarantors))
	for i, g := range p.Guarantors {
		m[g.GuarantorID] = i
	}
	return m
}

// Files names the two tables in problems reported by Validate.
type Files struct{ Loans, Guarantors, Links string }

// DefaultFiles are the snapshot's own file names.
var DefaultFiles = Files{Loans: "loans.arrow", Guarantors: "guarantors.arrow", Links: "links.arrow"}

// uniqueID records id, the key field of element i (row i+2 of file), in
// seen; an empty id, or one an earlier row has, is a problem.
func (l *ProblemList) uniqueID(seen map[string]int, file, field, id string, i int) {
	first, dup := seen[id]
	if !l.idProblem(file, field, id, i, first, dup) {
		seen[id] = i
	}
}

// idProblem reports an empty id, or (dup) one that element first already
// has, of element i (row i+2 of file), and whether it did.
func (l *ProblemList) idProblem(file, field, id string, i, first int, dup bool) bool {
	switch {
	case id == "":
		l.Add(file, i+2, field, "", "is empty", ErrMissing)
	case dup:
		l.Add(file, i+2, field, id, "duplicates row "+strconv.Itoa(first+2), ErrConflict)
	default:
		return false
	}
	return true
}

// Validate checks every loan and guarantor and returns the problems found
// (as a *ProblemsError: the first MaxProblems, and the count of the rest),
// or nil. Rows are numbered as in a file with a
// header: Loans[0] is row 2. It also fills defaults that depend on other
// columns (BorrowerID = LoanID, GovernmentCapital = RegisteredCapital).
func (p *Portfolio) Validate(files Files) error {
	var probs ProblemList
	lf, gf := files.Loans, files.Guarantors
	gidx := make(map[string]int, len(p.Guarantors))
	for i := range p.Guarantors {
		g := &p.Guarantors[i]
		row := i + 2
		probs.uniqueID(gidx, gf, "guarantor_id", g.GuarantorID, i)
		if g.Level != LevelCity && g.Level != LevelCounty {
			probs.Add(gf, row, "level", g.Level, `must be "city" or "county"`, ErrInvalid)
		}
		if g.County == "" {
			probs.Add(gf, row, "county", "", "is empty", ErrMissing)
		}
		if g.RegisteredCapital < 0 {
			probs.Add(gf, row, "registered_capital", g.RegisteredCapital.String(), "must not be negative", ErrInvalid)
		}
		if g.NetAssets <= 0 {
			probs.Add(gf, row, "net_assets", g.NetAssets.String(), "must be positive", ErrInvalid)
		}
		if !(g.ParentStake >= 0 && g.ParentStake <= 1) {
			probs.Add(gf, row, "parent_stake", ftoa(g.ParentStake), "must be in [0, 1]", ErrInvalid)
		}
		if g.GovernmentCapital < 0 {
			g.GovernmentCapital = g.RegisteredCapital
		}
		if !math.IsNaN(g.OpexRate) && !(g.OpexRate >= 0 && g.OpexRate < 1) {
			probs.Add(gf, row, "opex_rate", ftoa(g.OpexRate), "must be in [0, 1)", ErrInvalid)
		}
		if !math.IsNaN(g.InvestmentYield) && !(g.InvestmentYield > -1 && g.InvestmentYield < 1) {
			probs.Add(gf, row, "investment_yield", ftoa(g.InvestmentYield), "must be in (−1, 1)", ErrInvalid)
		}
	}
	for i := range p.Guarantors {
		g := &p.Guarantors[i]
		if g.ParentID != "" {
			if _, ok := gidx[g.ParentID]; !ok || g.ParentID == g.GuarantorID {
				probs.Add(gf, i+2, "parent_id", g.ParentID, "is not another guarantor of this snapshot", ErrNotFound)
			}
		}
	}
	// The loans' ids (empty or repeated) are checked on another core while
	// the loop below checks the rest of each loan (on a 1M-loan book each
	// takes about 40 ms); mergeRows puts their problems back in row order,
	// a row's id problem first, as one pass over the rows would.
	idc := make(chan ProblemList, 1)
	go func() {
		var ids ProblemList
		dups := duplicates(len(p.Loans), func(i int) string { return p.Loans[i].LoanID })
		for i := range p.Loans {
			first, dup := 0, len(dups) > 0 && dups[0].row == i
			if dup {
				first, dups = dups[0].first, dups[1:]
			}
			ids.idProblem(lf, "loan_id", p.Loans[i].LoanID, i, first, dup)
		}
		idc <- ids
	}()
	var rest ProblemList // the loans' problems other than their ids'
	for i := range p.Loans {
		l := &p.Loans[i]
		row := i + 2
		if l.BorrowerID == "" {
			l.BorrowerID = l.LoanID
		}
		if l.GuarantorID == "" {
			rest.Add(lf, row, "guarantor_id", "", "is empty", ErrMissing)
		} else if _, ok := gidx[l.GuarantorID]; !ok {
			rest.Add(lf, row, "guarantor_id", l.GuarantorID, "is not in the guarantors table", ErrNotFound)
		}
		if l.County == "" {
			rest.Add(lf, row, "county", "", "is empty", ErrMissing)
		}
		if l.Industry == "" {
			rest.Add(lf, row, "industry", "", "is empty", ErrMissing)
		}
		if l.Balance < 0 {
			rest.Add(lf, row, "balance", l.Balance.String(), "must not be negative", ErrInvalid)
		}
		if !(l.PD > 0 && l.PD < 1) {
			rest.Add(lf, row, "pd", ftoa(l.PD), "must be in (0, 1)", ErrInvalid)
		}
		if !(l.LGD >= 0 && l.LGD <= 1) {
			rest.Add(lf, row, "lgd", ftoa(l.LGD), "must be in [0, 1]", ErrInvalid)
		}
		if !math.IsNaN(l.GuaranteeRatio) && !(l.GuaranteeRatio >= 0 && l.GuaranteeRatio <= 1) {
			rest.Add(lf, row, "guarantee_ratio", ftoa(l.GuaranteeRatio), "must be in [0, 1]", ErrInvalid)
		}
		if !(l.InterestRate >= 0 && l.InterestRate < 1) {
			rest.Add(lf, row, "interest_rate", ftoa(l.InterestRate), "must be in [0, 1)", ErrInvalid)
		}
		if !math.IsNaN(l.FeeRate) && !(l.FeeRate >= 0 && l.FeeRate < 1) {
			rest.Add(lf, row, "fee_rate", ftoa(l.FeeRate), "must be in [0, 1)", ErrInvalid)
		}
		for _, d := range []struct {
			field string
			date  Date
		}{{"start_date", l.StartDate}, {"maturity_date", l.MaturityDate}} {
			if !d.date.IsZero() && !d.date.Plausible() {
				rest.Add(lf, row, d.field, d.date.String(), fmt.Sprintf("is outside %s..%s", MinDate, MaxDate), ErrInvalid)
			}
		}
		if !l.StartDate.IsZero() && !l.MaturityDate.IsZero() && l.MaturityDate < l.StartDate {
			rest.Add(lf, row, "maturity_date", l.MaturityDate.String(), "is before start_date "+l.StartDate.String(), ErrInvalid)
		}
		if !ValidSegment(l.Segment) {
			rest.Add(lf, row, "segment", l.Segment, "must be micro, small, agri or other", ErrInvalid)
		}
	}
	probs.mergeRows(<-idc, rest)
	lkf := files.Links
	if lkf == "" {
		lkf = DefaultFiles.Links
	}
	p.validateLinks(lkf, &probs)
	return probs.Err()
}

// mergeRows adds the problems of a and b (each in row order, b's rows
// holding any number) in row order, a's first within a row, as if one pass
// over the rows had found them: l keeps the first of them up to MaxProblems
// and counts the rest. What a and b only counted (More) comes after every
// problem they kept, so it is counted too.
func (l *ProblemList) mergeRows(a, b ProblemList) {
	pa, pb := a.Problems, b.Problems
	for len(pa) > 0 || len(pb) > 0 {
		var e *FieldError
		if len(pb) == 0 || len(pa) > 0 && pa[0].Row <= pb[0].Row {
			e, pa = pa[0], pa[1:]
		} else {
			e, pb = pb[0], pb[1:]
		}
		if l.Full() {
			l.More++
		} else {
			l.Problems = append(l.Problems, e)
		}
	}
	l.More += a.More + b.More
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
