package snapshot_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"
)

// Import two CSV tables, write them as a snapshot and open it again.
func Example() {
	pf, warnings, err := snapshot.Import("../../testdata/portfolios/loans.csv", "../../testdata/portfolios/guarantors.csv",
		snapshot.ImportOptions{AsOf: models.Date(19723)})
	if err != nil {
		fmt.Println(err) // a *models.ProblemsError listing every bad cell
		return
	}
	fmt.Println(len(warnings), "warnings")

	tmp, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "snap")
	if err := snapshot.Write(dir, pf); err != nil {
		fmt.Println(err)
		return
	}
	got, err := snapshot.Read(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	l := got.Loans[1]
	fmt.Printf("%d loans, %d guarantors, as of %s\n", len(got.Loans), len(got.Guarantors), got.AsOf)
	fmt.Printf("%s: balance %s yuan, borrower %s, bank %s, fee rate %v\n", l.LoanID, l.Balance, l.BorrowerID, l.BankID, l.FeeRate)
	// Output:
	// 0 warnings
	// 4 loans, 3 guarantors, as of 2024-01-01
	// L0002: balance 3000000.00 yuan, borrower L0002, bank unknown, fee rate NaN
}

// A rejected import lists every problem with file, row, column, value and reason.
func ExampleImport_problems() {
	_, _, err := snapshot.Import("../../testdata/portfolios/issue2.bad.csv", "../../testdata/portfolios/guarantors.csv", snapshot.ImportOptions{})
	fmt.Println(err)
	// Output:
	// 5 problem(s) in input:
	//   issue2.bad.csv: row 1, column "industry" = "": required column is missing
	//   issue2.bad.csv: row 5, column "balance" = "12,3a": uses a thousands separator or a 万/亿 suffix (write plain yuan, or pass --lenient-money)
	//   issue2.bad.csv: row 3, column "guarantor_id" = "G-999": is not in the guarantors table
	//   issue2.bad.csv: row 4, column "pd" = "1.5": must be in (0, 1)
	//   issue2.bad.csv: row 6, column "loan_id" = "L0001": duplicates row 2
}
