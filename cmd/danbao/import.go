package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
	"github.com/wenzhou/danbao/models"
	"github.com/wenzhou/danbao/models/snapshot"
)

func init() {
	var (
		loans, guarantors, links, out, asOf string
		lenient, force                      bool
		maxMemMiB                           int64
	)
	cmd := &cobra.Command{
		Use:   "import --loans FILE --guarantors FILE [--links FILE] --out DIR [--lenient-money] [--as-of YYYY-MM-DD]",
		Short: "Import loans and guarantors from CSV, XLSX or Parquet into an Arrow snapshot",
		Long: `import reads the loans and guarantors tables (each .csv, .tsv, .xlsx,
.parquet or .arrow, chosen by extension; an XLSX workbook is read from its
sheet named loans or guarantors, else its first sheet), validates them, and
writes the Arrow snapshot DIR/loans.arrow, DIR/guarantors.arrow.
With --links, the guarantees between borrowers (互保/联保: columns
from_borrower, to_borrower, amount and optional capacity; docs/chains.md)
are read the same way and written as DIR/links.arrow.

Columns are those of docs/data.md, matched by name in any case. Required
loan columns: loan_id, guarantor_id, county, industry, balance, pd, lgd.
Required guarantor columns: guarantor_id, level, county, registered_capital,
net_assets. Every other column is optional and an empty cell takes its
default; a column danbao does not know is reported as a warning and ignored.

Money is decimal yuan with at most two decimals ("1234567.89"); thousands
separators and 万/亿 suffixes are errors unless --lenient-money is given.
Dates are YYYY-MM-DD; booleans true/false, yes/no or 1/0.

If anything is wrong, import lists every problem (file, row as in the file
with the header as row 1, column, value, reason; the first 100 and a count
of the rest) on stderr, exits with status 1, and writes nothing.

Limits (docs/limits.md): each table may have at most --max-rows rows and
reading it may take at most --max-memory MiB. An Arrow or Parquet file
that declares more rows, or more rows than it has bytes, and an XLSX
workbook that would unzip to more than 100× its size (at least 64 MiB),
are refused before they are read. Problems beyond the first 1,000 are
counted, not kept.`,
		Example: "  danbao import --loans loans.csv --guarantors guarantors.csv --out snap\n" +
			"  danbao import --loans book.xlsx --guarantors book.xlsx --lenient-money --as-of 2024-12-31 --out snap",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := snapshot.ImportOptions{LenientMoney: lenient, Limits: snapshot.Limits{MaxRows: maxRows, MaxBytes: maxMemMiB << 20}}
			if asOf != "" {
				d, err := models.ParseDate(asOf)
				if err != nil {
					return fmt.Errorf("--as-of: %w", err)
				}
				opts.AsOf = d
			}
			return runImport(cmd.OutOrStdout(), cmd.ErrOrStderr(), loans, guarantors, links, out, force, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&loans, "loans", "", "loans table: .csv, .tsv, .xlsx, .parquet or .arrow (required)")
	f.StringVar(&guarantors, "guarantors", "", "guarantors table, in any of the same formats (required)")
	f.StringVar(&links, "links", "", "optional links table between borrowers (from_borrower, to_borrower, amount[, capacity]), any of the same formats")
	f.StringVar(&out, "out", "", "snapshot folder to create (required)")
	f.BoolVar(&lenient, "lenient-money", false, `accept thousands separators and 万/亿 suffixes in money ("1,234.50", "12.5万")`)
	f.StringVar(&asOf, "as-of", "", "snapshot date YYYY-MM-DD (default: the date a Parquet/Arrow input carries, else unknown)")
	f.BoolVar(&force, "force", false, "replace --out if it exists and is not empty")
	f.Int64Var(&maxMemMiB, "max-memory", defaultMaxMemoryMiB(), "most memory reading each table may take, MiB (default: half the machine's memory)")
	for _, name := range []string{"loans", "guarantors", "out"} {
		_ = cmd.MarkFlagRequired(name)
	}
	rootCmd.AddCommand(cmd)
}

// runImport imports, validates and writes the snapshot; it writes nothing
// when the input has any problem.
func runImport(stdout, stderr io.Writer, loans, guarantors, links, out string, force bool, opts snapshot.ImportOptions) error {
	if !force {
		// Fail before a long import, not after it (Write checks again).
		if ents, err := os.ReadDir(out); err == nil && len(ents) > 0 {
			return fmt.Errorf("%w: --out %s exists and is not empty (pass --force to replace it)", models.ErrConflict, out)
		}
	}
	var (
		pf       *models.Portfolio
		warnings []string
		err      error
	)
	if links != "" {
		pf, warnings, err = snapshot.ImportLinksFile(loans, guarantors, links, opts)
	} else {
		pf, warnings, err = snapshot.Import(loans, guarantors, opts)
	}
	printWarnings(stderr, warnings)
	if err != nil {
		var pe *models.ProblemsError
		if errors.As(err, &pe) {
			return fmt.Errorf("import rejected, nothing written: %w", err)
		}
		return err
	}
	if err := (snapshot.Options{Overwrite: force}).Write(out, pf); err != nil {
		return fmt.Errorf("write snapshot %s: %w", out, err)
	}
	asOf := pf.AsOf.String()
	if asOf == "" {
		asOf = "unknown date"
	}
	fmt.Fprintf(stdout, "imported %d loans and %d guarantors as of %s to %s: total balance %s yuan\n",
		len(pf.Loans), len(pf.Guarantors), asOf, out, totalBalance(pf).StringFixed(2))
	if len(pf.Links) > 0 {
		fmt.Fprintf(stdout, "imported %d links between borrowers\n", len(pf.Links))
	}
	return nil
}

// totalBalance is the exact sum of the loan balances in yuan: int64 fen
// while it fits, decimal beyond.
func totalBalance(pf *models.Portfolio) decimal.Decimal {
	sum := decimal.Zero
	var acc models.Cents
	for i := range pf.Loans {
		b := pf.Loans[i].Balance
		if (b > 0 && acc > models.MaxCents) || (b < 0 && acc < -models.MaxCents) {
			sum = sum.Add(acc.Decimal())
			acc = 0
		}
		acc += b
	}
	return sum.Add(acc.Decimal())
}
