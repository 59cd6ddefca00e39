package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/wenzhou/danbao/models/snapshot"
)

func init() {
	var (
		portfolio, format, out string
		force                  bool
	)
	cmd := &cobra.Command{
		Use:   "export [--portfolio DIR] --format parquet|csv|arrow --out DIR",
		Short: "Write a portfolio snapshot as Parquet or CSV files",
		Long: `export reads a portfolio snapshot (default: the embedded example) and
writes its two tables into the folder DIR as loans.parquet and
guarantors.parquet (the snapshot's schema: money decimal(18,2), strings
dictionary-encoded, snapshot date in the metadata), as loans.csv and
guarantors.csv (money in plain yuan, empty cells for values not given), or
as another Arrow snapshot. danbao import reads each of them back to the
same portfolio, money to the fen (give --as-of again for CSV).`,
		Example: "  danbao export --portfolio snap --format parquet --out snap-pq\n" +
			"  danbao import --loans snap-pq/loans.parquet --guarantors snap-pq/guarantors.parquet --out snap2",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := snapshot.Options{Overwrite: force}
			write, files := o.WriteParquet, []string{snapshot.LoansParquet, snapshot.GuarantorsParquet}
			switch format {
			case "parquet":
			case "csv":
				write, files = o.WriteCSV, []string{snapshot.LoansCSV, snapshot.GuarantorsCSV}
			case "arrow":
				write, files = o.Write, []string{snapshot.LoansFile, snapshot.GuarantorsFile}
			default:
				return fmt.Errorf("--format %q: want parquet, csv or arrow", format)
			}
			pf, err := loadPortfolio(portfolio)
			if err != nil {
				return fmt.Errorf("read portfolio %s: %w", orDefault(portfolio, "(embedded example)"), err)
			}
			if err := write(out, pf); err != nil {
				return fmt.Errorf("export to %s: %w", out, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d loans and %d guarantors to %s and %s in %s\n",
				len(pf.Loans), len(pf.Guarantors), files[0], files[1], out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&portfolio, "portfolio", "", "snapshot folder (default: the embedded example)")
	f.StringVar(&format, "format", "parquet", "parquet, csv or arrow")
	f.StringVar(&out, "out", "", "folder to create (required)")
	f.BoolVar(&force, "force", false, "replace --out if it exists and is not empty")
	_ = cmd.MarkFlagRequired("out")
	rootCmd.AddCommand(cmd)
}
