package calibrate

import (
	"bytes"
	"errors"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/wenzhou/danbao/models"
)

// FuzzReadHistory feeds arbitrary bytes to the history reader as CSV, TSV,
// XLSX and Parquet. It must not panic; a refusal must be a
// *models.ProblemsError whose every problem names the file and a reason,
// and return no history; an accepted history must satisfy the documented
// invariants (year 1900..2199, 0 ≤ defaults ≤ loans, county and industry
// given, money ≥ 0). scripts/fuzz.sh runs it; `go test` runs the seeds.
func FuzzReadHistory(f *testing.F) {
	f.Add([]byte("year,county,industry,loans,defaults\n2020,A,x,100,2\n2021,A,x,120,3\n"), uint8(0))
	f.Add([]byte("year,county,industry,loans,defaults,segment,compensation,recovered_lag1,recovered_lag2\n"+
		"2020,330302,footwear,214,3,micro,3060000.00,183600.00,\n2020,330302,footwear,214,3,micro,1,2,3\n"), uint8(0))
	f.Add([]byte("Year\tCounty\tIndustry\tLoans\tDefaults\tnote\n2020\tA\tx\t-1\t2.5\tz\n1899\t\t\t5\t7\n"), uint8(1))
	f.Add([]byte("year,county\n\"a\"\"b,x\n"), uint8(0))
	book := excelize.NewFile()
	for i, r := range [][]any{{"year", "county", "industry", "loans", "defaults"}, {2020, "A", "x", 10, 1}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := book.SetSheetRow("Sheet1", cell, &r); err != nil {
			f.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := book.Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes(), uint8(2))
	f.Add([]byte("PAR1\x00\x00PAR1"), uint8(3))
	names := []string{"h.csv", "h.tsv", "h.xlsx", "h.parquet"}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		name := names[int(kind)%len(names)]
		h, _, err := ReadHistory(name, bytes.NewReader(data))
		if err != nil {
			var pe *models.ProblemsError
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("refusal is not a ProblemsError with problems: %v", err)
			}
			for _, p := range pe.Problems {
				if p.File != name || p.Reason == "" {
					t.Errorf("problem without file or reason: %#v", p)
				}
			}
			if h != nil {
				t.Fatal("a history returned with an error")
			}
			return
		}
		for _, r := range h.Records {
			if r.Year < 1900 || r.Year > 2199 || r.Loans < 0 || r.Defaults < 0 || r.Defaults > r.Loans || r.County == "" || r.Industry == "" {
				t.Fatalf("accepted a bad record: %+v", r)
			}
			for _, m := range []struct {
				has bool
				v   interface{ Sign() int }
			}{{r.HasBalance, r.Balance}, {r.HasCompensation, r.Compensation}, {r.HasReleased, r.Released}, {r.HasRecovered, r.Recovered}} {
				if m.has && m.v.Sign() < 0 {
					t.Fatalf("accepted negative money: %+v", r)
				}
			}
		}
	})
}
