package snapshot

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wenzhou/danbao/models"
)

const fixtures = "../../testdata/portfolios"

// TestBadInputs imports each bad fixture of testdata/portfolios (paired with
// the good other table) and checks that every listed message, and no other
// problem, is reported. The messages are the contract with the user: they
// name file, row (as in the file, header = row 1), column, value and reason.
func TestBadInputs(t *testing.T) {
	for _, tt := range []struct {
		file    string
		lenient bool
		want    []string // each is a substring of exactly one problem, in order
	}{
		{file: "issue2.bad.csv", want: []string{
			`issue2.bad.csv: row 1, column "industry" = "": required column is missing`,
			`issue2.bad.csv: row 5, column "balance" = "12,3a": uses a thousands separator`,
			`issue2.bad.csv: row 3, column "guarantor_id" = "G-999": is not in the guarantors table`,
			`issue2.bad.csv: row 4, column "pd" = "1.5": must be in (0, 1)`,
			`issue2.bad.csv: row 6, column "loan_id" = "L0001": duplicates row 2`,
		}},
		{file: "money_lenient.bad.csv", want: []string{
			`row 2, column "balance" = "1,250,000.00": uses a thousands separator or a 万/亿 suffix`,
			`row 3, column "balance" = "12.5万": uses a thousands separator or a 万/亿 suffix`,
			`row 4, column "balance" = "1250000.001": has more than two decimals (fen)`,
			`row 5, column "balance" = "¥1000": is not a decimal number`,
			`row 6, column "balance" = "": is empty`,
		}},
		{file: "money_lenient.bad.csv", lenient: true, want: []string{
			`row 4, column "balance" = "1250000.001": has more than two decimals (fen)`,
			`row 5, column "balance" = "¥1000": is not a decimal number`,
			`row 6, column "balance" = "": is empty`,
		}},
		{file: "cells.bad.csv", want: []string{
			`row 2, column "start_date" = "2023/01/05": is not a date (want YYYY-MM-DD)`,
			`row 4, column "reguarantee_eligible" = "maybe": is not a boolean`,
			`row 5, column "fee_rate" = "1.5%": is not a number (write rates as fractions: 1.5% is 0.015)`,
			`row 6, column "pd" = "abc": is not a number`,
			`row 7, column "pd" = "NaN": must be a finite number`,
			`row 9, has a value in column 15, beyond the 13 columns of the header`,
			`row 3, column "maturity_date" = "2023-01-05": is before start_date 2024-01-05`,
			`row 6, column "lgd" = "1.2": must be in [0, 1]`,
			`row 7, column "segment" = "retail": must be micro, small, agri or other`,
			`row 8, column "county" = "": is empty`,
			`row 8, column "industry" = "": is empty`,
			`row 8, column "interest_rate" = "-0.01": must be in [0, 1)`,
			`row 9, column "balance" = "-5.00": must not be negative`,
		}},
		{file: "blank_rows.bad.csv", want: []string{
			// line 2 and 4 are empty, line 6 has only commas, L0003 spans lines 7–8
			`blank_rows.bad.csv: row 5, column "pd" = "0": must be in (0, 1)`,
			`blank_rows.bad.csv: row 9, column "pd" = "2": must be in (0, 1)`,
		}},
		{file: "syntax.bad.csv", want: []string{`syntax.bad.csv: row 3, CSV syntax error at line 3, column 27: bare " in non-quoted-field`}},
		{file: "empty.bad.csv", want: []string{`empty.bad.csv: is empty: it has no header row`}},
		{file: "duplicate_column.bad.csv", want: []string{`row 1, column "pd" = "PD": column appears twice (columns 6 and 8)`}},
		{file: "guarantors_bad.bad.csv", want: []string{
			`guarantors_bad.bad.csv: row 3, column "focused" = "sure": is not a boolean`,
			`row 4, column "registered_capital" = "1e8": is not a decimal number`,
			`row 3, column "level" = "province": must be "city" or "county"`,
			`row 3, column "net_assets" = "0.00": must be positive`,
			`row 3, column "parent_stake" = "1.5": must be in [0, 1]`,
			`row 5, column "guarantor_id" = "G-3303": duplicates row 2`,
			`row 3, column "parent_id" = "G-0000": is not another guarantor of this snapshot`,
		}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			loans, guarantors := filepath.Join(fixtures, tt.file), filepath.Join(fixtures, "guarantors.csv")
			if strings.HasPrefix(tt.file, "guarantors") {
				loans, guarantors = filepath.Join(fixtures, "loans.csv"), loans
			}
			pf, _, err := Import(loans, guarantors, ImportOptions{LenientMoney: tt.lenient})
			if pf != nil {
				t.Errorf("got a portfolio for bad input")
			}
			var pe *models.ProblemsError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *models.ProblemsError", err)
			}
			if len(pe.Problems) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%v", len(pe.Problems), len(tt.want), err)
			}
			for i, w := range tt.want {
				if i < len(pe.Problems) && !strings.Contains(pe.Problems[i].Error(), w) {
					t.Errorf("problem %d = %q\nwant it to contain %q", i, pe.Problems[i].Error(), w)
				}
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Error() does not contain %q", w)
				}
			}
		})
	}
}

// TestImportGoodCSV checks the defaults of optional columns and every
// accepted spelling in the good fixtures.
func TestImportGoodCSV(t *testing.T) {
	pf, warnings, err := Import(filepath.Join(fixtures, "loans.csv"), filepath.Join(fixtures, "guarantors.csv"), ImportOptions{AsOf: 19723})
	if err != nil || len(warnings) > 0 {
		t.Fatalf("Import: %v, warnings %q", err, warnings)
	}
	if len(pf.Loans) != 4 || len(pf.Guarantors) != 3 || pf.AsOf != 19723 {
		t.Fatalf("got %d loans, %d guarantors, as of %v", len(pf.Loans), len(pf.Guarantors), pf.AsOf)
	}
	l := pf.Loans[1] // L0002: borrower, bank, guarantee_ratio and fee_rate left empty
	if l.BorrowerID != "L0002" || l.BankID != "unknown" || !math.IsNaN(l.GuaranteeRatio) || !math.IsNaN(l.FeeRate) ||
		l.Balance != 3_000_000*models.Yuan || !l.ReguaranteeEligible || !l.CounterGuarantee || l.Product != "first_loan" {
		t.Errorf("L0002 = %+v", l)
	}
	l = pf.Loans[2] // L0003: dates, interest and booleans empty; balance with one decimal
	if l.Balance != 80_000_050 || l.InterestRate != 0 || !l.StartDate.IsZero() || !l.MaturityDate.IsZero() ||
		!l.ReguaranteeEligible || l.CounterGuarantee || l.FeeRate != 0.008 {
		t.Errorf("L0003 = %+v", l)
	}
	if l := pf.Loans[3]; l.ReguaranteeEligible || l.CounterGuarantee || l.StartDate.String() != "2023-09-01" || l.Segment != "agri" {
		t.Errorf("L0004 = %+v", l)
	}
	g := pf.Guarantors[1]
	if g.Name != "乐清市融资担保有限公司" || g.ParentID != "G-3303" || g.ParentStake != 0.2 || g.GovernmentCapital != 150_000_000*models.Yuan ||
		g.NetAssets != 21_500_000_050 || !g.InReguarantee || g.Focused || !math.IsNaN(g.OpexRate) {
		t.Errorf("G-330382 = %+v", g)
	}
	if g := pf.Guarantors[2]; g.GovernmentCapital != g.RegisteredCapital || g.Reserves != 120_000_000 || !g.InReguarantee || g.Focused {
		t.Errorf("G-330329 = %+v", g)
	}
}
