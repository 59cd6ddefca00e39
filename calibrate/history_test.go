package calibrate

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/xuri/excelize/v2"

	"github.com/wenzhou/danbao/models"
)

func TestReadHistoryRefusesBadRows(t *testing.T) {
	const csv = `year,county,industry,loans,defaults,compensation
2012,330382,footwear,100,3,300000.00
2013,330382,footwear,-5,0,
2013,330381,apparel,10,12,
2014,330381,,10,1,
x,330381,apparel,10,1,
2015,330381,apparel,10,1.5,
2016,330381,apparel,10,1,12.345
2012,330382,footwear,100,3,
`
	_, _, err := ReadHistory("hist.csv", strings.NewReader(csv))
	var pe *models.ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *models.ProblemsError", err)
	}
	for _, want := range []string{
		`hist.csv: row 3, column "loans" = "-5": is negative`,
		`hist.csv: row 4, column "defaults" = "12": is more than loans (10)`,
		`hist.csv: row 5, column "industry" = "": is empty`,
		`hist.csv: row 6, column "year" = "x": is not a year`,
		`hist.csv: row 7, column "defaults" = "1.5": is not a whole number`,
		`hist.csv: row 8, column "compensation" = "12.345": has more than two decimals`,
		`hist.csv: row 9, repeats year 2012, county "330382", industry "footwear", segment "" of row 2`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q; got:\n%v", want, err)
		}
	}
	if len(pe.Problems) != 7 {
		t.Errorf("%d problems, want 7:\n%v", len(pe.Problems), err)
	}
}

func TestReadHistoryMissingColumn(t *testing.T) {
	_, _, err := ReadHistory("h.csv", strings.NewReader("year,county,loans,defaults\n2012,A,10,1\n"))
	if err == nil || !strings.Contains(err.Error(), `h.csv: row 1, column "industry"`) || !strings.Contains(err.Error(), "required column") {
		t.Fatalf("err = %v, want the missing industry column named at row 1", err)
	}
	if !errors.Is(err, models.ErrMissing) {
		t.Errorf("err is not models.ErrMissing: %v", err)
	}
}

func TestReadHistoryXLSX(t *testing.T) {
	f := excelize.NewFile()
	rows := [][]any{
		{"Year", "County", "Industry", "Loans", "Defaults", "recovered_lag1", "compensation", "note"},
		{2020, "A", "x", 100, 2, "1000.50", "5000"},
		{2021, "A", "x", 120, 3, nil, "6000"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	h, warnings, err := ReadHistory("h.xlsx", &buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `"note"`) {
		t.Errorf("warnings = %q, want one about the column note", warnings)
	}
	if len(h.Records) != 2 || h.Records[1].Loans != 120 || h.Records[1].Defaults != 3 || h.Records[1].Row != 3 {
		t.Fatalf("records = %+v", h.Records)
	}
	if !h.Records[0].HasLag[0] || h.Records[0].RecoveredLag[0].String() != "1000.5" || h.Records[1].HasLag[0] {
		t.Errorf("recovered_lag1 read as %v/%v, %v", h.Records[0].RecoveredLag[0], h.Records[0].HasLag[0], h.Records[1].HasLag[0])
	}
}

func TestReadHistoryParquet(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "year", Type: arrow.PrimitiveTypes.Int32},
		{Name: "county", Type: arrow.BinaryTypes.String},
		{Name: "industry", Type: arrow.BinaryTypes.String},
		{Name: "loans", Type: arrow.PrimitiveTypes.Int64},
		{Name: "defaults", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int32Builder).AppendValues([]int32{2020, 2021}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"A", "A"}, nil)
	b.Field(2).(*array.StringBuilder).AppendValues([]string{"x", "x"}, nil)
	b.Field(3).(*array.Int64Builder).AppendValues([]int64{100, 5}, nil)
	b.Field(4).(*array.Int64Builder).AppendValues([]int64{2, 7}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
	defer tbl.Release()
	var buf bytes.Buffer
	if err := pqarrow.WriteTable(tbl, &buf, 1024, nil, pqarrow.DefaultWriterProps()); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadHistory("h.parquet", bytes.NewReader(buf.Bytes()))
	// row 3 (the second data row) has 7 defaults of 5 loans
	if err == nil || !strings.Contains(err.Error(), `h.parquet: row 3, column "defaults" = "7": is more than loans (5)`) {
		t.Fatalf("err = %v, want row 3's defaults named", err)
	}
}

func TestReadOutcomes(t *testing.T) {
	for _, tt := range []struct{ name, csv, want string }{
		{"both groups", "year,county,guarantor_id,loans,defaults\n2020,A,G,10,1\n", "give one"},
		{"no group", "year,loans,defaults\n2020,10,1\n", "need a county or a guarantor_id"},
		{"bad row", "year,county,loans,defaults\n2020,A,10,-1\n2020,A,10,1\n", `row 2, column "defaults" = "-1": is negative`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadOutcomes("o.csv", strings.NewReader(tt.csv))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	o, _, err := ReadOutcomes("o.csv", strings.NewReader("year,guarantor_id,loans,defaults\n2020,G-1,10,1\n"))
	if err != nil || o.By != "guarantor_id" || o.Rows[0].Group != "G-1" {
		t.Errorf("guarantor outcomes: %+v, %v", o, err)
	}
}

// TestCalibrateWarnsWhenNotIdentified: too few years, or groups that never
// differ in both county and industry, give warnings and null loadings
// rather than estimates.
func TestCalibrateWarnsWhenNotIdentified(t *testing.T) {
	for _, tt := range []struct {
		name        string
		years       int
		counties    []string
		industries  []string
		wantWarning string
	}{
		{"one year", 1, []string{"A", "B"}, []string{"x", "y"}, "at least 5"},
		{"three years", 3, []string{"A", "B"}, []string{"x", "y"}, "at least 5"},
		{"one industry", 10, []string{"A", "B", "C"}, []string{"x"}, "cannot be told apart"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &History{File: "h.csv"}
			for y := range tt.years {
				for _, c := range tt.counties {
					for _, i := range tt.industries {
						h.Records = append(h.Records, Record{Year: 2010 + y, County: c, Industry: i, Loans: 1000, Defaults: int64(10 + y%3)})
					}
				}
			}
			res, err := Calibrate(h, Options{Bootstrap: 19})
			if err != nil {
				t.Fatal(err)
			}
			if res.R2.Macro.Estimate != nil || res.R2.Industry.Estimate != nil || res.R2.County.Estimate != nil {
				t.Errorf("loadings estimated: %+v", res.R2)
			}
			if !strings.Contains(strings.Join(res.Warnings, "; "), tt.wantWarning) {
				t.Errorf("warnings %q lack %q", res.Warnings, tt.wantWarning)
			}
			if _, err := json.Marshal(res); err != nil {
				t.Errorf("JSON: %v", err)
			}
		})
	}
}
