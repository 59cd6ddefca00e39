package snapshot

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/wenzhou/danbao/models"
)

// WriteCSV writes pf as loans.csv and guarantors.csv in the folder dir. See
// Options.WriteCSV.
func WriteCSV(dir string, pf *models.Portfolio) error { return Options{}.WriteCSV(dir, pf) }

// WriteCSV writes pf as loans.csv and guarantors.csv (UTF-8, header row,
// every column of docs/data.md) in dir; the folder appears complete or
// not at all, as with Write. Money is plain yuan with two decimals, floats
// the shortest text that reads back bitwise equal, dates YYYY-MM-DD, and a
// value that is "not given" an empty cell, so Import reads the files back
// exactly. The snapshot date is not part of a CSV file.
func (o Options) WriteCSV(dir string, pf *models.Portfolio) error {
	return o.writeTables(dir, pf, [3]string{LoansCSV, GuarantorsCSV, LinksCSV}, [3]func(io.Writer) error{
		func(w io.Writer) error { return writeCSV(w, loanColumns, pf.Loans) },
		func(w io.Writer) error { return writeCSV(w, guarantorColumns, pf.Guarantors) },
		func(w io.Writer) error { return writeCSV(w, linkColumns, pf.Links) },
	})
}

func writeCSV[T any](w io.Writer, cols []column[T], rows []T) error {
	cw := csv.NewWriter(w)
	rec := names(cols)
	if err := cw.Write(rec); err != nil {
		return err
	}
	for i := range rows {
		for k := range cols {
			rec[k] = cellString(&cols[k], &rows[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cellString is the text of column c of row p in CSV.
func cellString[T any](c *column[T], p *T) string {
	if c.unset != nil && c.unset(p) {
		return ""
	}
	switch c.kind {
	case kString:
		return *c.str(p)
	case kMoney:
		return c.money(p).String()
	case kFloat:
		return strconv.FormatFloat(*c.num(p), 'g', -1, 64)
	case kDate:
		return c.date(p).String()
	default:
		return strconv.FormatBool(*c.flag(p))
	}
}
