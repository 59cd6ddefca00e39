package calibrate

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/xuri/excelize/v2"

	"github.com/wenzhou/danbao/models"
)

// MaxTableBytes bounds the size of a history or outcomes table (64 MiB):
// a yearly table by county and industry has a few thousand rows.
const MaxTableBytes = 64 << 20

// MaxTableRows bounds the number of data rows of a table.
const MaxTableRows = 1_000_000

// textTable is a table as text cells: the header's column names
// (lower-cased, trimmed) and each data row with its row number in the
// file (the header is row 1 for CSV and XLSX; for Parquet, data row i is
// row i+2, as if the header were row 1).
type textTable struct {
	header []string
	rows   [][]string
	rowNum []int
}

// readTable reads name's content as CSV (.csv, .tsv), XLSX (.xlsx, first
// sheet) or Parquet (.parquet, .pq), by the name's extension. Problems
// with the file as a whole go to probs.
func readTable(name string, r io.Reader, probs *models.Problems) (t *textTable) {
	defer func() {
		// excelize, encoding/csv and pqarrow are not ours: whatever they do
		// on a hostile file is reported, not a crash.
		if p := recover(); p != nil {
			t = nil
			probs.Add(name, 0, "", "", fmt.Sprintf("could not be read (%v)", p), models.ErrInvalid)
		}
	}()
	data, err := io.ReadAll(io.LimitReader(r, MaxTableBytes+1))
	if err != nil {
		probs.Add(name, 0, "", "", "could not be read: "+err.Error(), models.ErrInvalid)
		return nil
	}
	if len(data) > MaxTableBytes {
		probs.Add(name, 0, "", "", fmt.Sprintf("is larger than %d MiB", MaxTableBytes>>20), models.ErrInvalid)
		return nil
	}
	t = &textTable{}
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".csv", ".tsv":
		cr := csv.NewReader(bytes.NewReader(data))
		if ext == ".tsv" {
			cr.Comma = '\t'
		}
		cr.FieldsPerRecord = -1
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				probs.Add(name, pe.StartLine, "", "", fmt.Sprintf("CSV syntax error at line %d, column %d: %v", pe.Line, pe.Column, pe.Err), models.ErrInvalid)
				return nil
			}
			if err != nil {
				probs.Add(name, 0, "", "", "could not be read: "+err.Error(), models.ErrInvalid)
				return nil
			}
			line, _ := cr.FieldPos(0)
			if !t.add(name, rec, line, probs) {
				return nil
			}
		}
	case ".xlsx", ".xlsm":
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			probs.Add(name, 0, "", "", "is not a readable XLSX workbook: "+err.Error(), models.ErrInvalid)
			return nil
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			probs.Add(name, 0, "", "", "has no worksheet", models.ErrMissing)
			return nil
		}
		rows, err := f.Rows(sheets[0])
		if err != nil {
			probs.Add(name, 0, "", "", "could not be read: "+err.Error(), models.ErrInvalid)
			return nil
		}
		defer rows.Close()
		for n := 1; rows.Next(); n++ {
			cells, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				probs.Add(name, n, "", "", "could not be read: "+err.Error(), models.ErrInvalid)
				return nil
			}
			if !t.add(name, cells, n, probs) {
				return nil
			}
		}
		if err := rows.Error(); err != nil {
			probs.Add(name, 0, "", "", "could not be read: "+err.Error(), models.ErrInvalid)
			return nil
		}
	case ".parquet", ".pq":
		if !t.readParquet(name, data, probs) {
			return nil
		}
	default:
		probs.Add(name, 0, "", "", "has an unsupported file type (want .csv, .tsv, .xlsx or .parquet)", models.ErrInvalid)
		return nil
	}
	if t.header == nil {
		probs.Add(name, 0, "", "", "is empty: it has no header row", models.ErrMissing)
		return nil
	}
	return t
}

// add takes one row of a text table: the first non-blank row is the
// header; blank rows are skipped. It reports false when the table is too
// long.
func (t *textTable) add(name string, cells []string, row int, probs *models.Problems) bool {
	blank := true
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			blank = false
			break
		}
	}
	if blank {
		return true
	}
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.TrimSpace(c)
	}
	if t.header == nil {
		for i := range out {
			out[i] = strings.ToLower(out[i])
		}
		t.header = out
		return true
	}
	if len(t.rows) == MaxTableRows {
		probs.Add(name, row, "", "", fmt.Sprintf("the table has more than %d rows", MaxTableRows), models.ErrInvalid)
		return false
	}
	t.rows = append(t.rows, out)
	t.rowNum = append(t.rowNum, row)
	return true
}

// readParquet reads a Parquet file's columns as text (Arrow's ValueStr; a
// null is empty).
func (t *textTable) readParquet(name string, data []byte, probs *models.Problems) bool {
	mem := memory.DefaultAllocator
	pr, err := file.NewParquetReader(bytes.NewReader(data), file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		probs.Add(name, 0, "", "", "is not a readable Parquet file: "+err.Error(), models.ErrInvalid)
		return false
	}
	defer pr.Close()
	if n := pr.NumRows(); n > MaxTableRows {
		probs.Add(name, 0, "", "", fmt.Sprintf("has %d rows, more than %d", n, MaxTableRows), models.ErrInvalid)
		return false
	}
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, mem)
	if err != nil {
		probs.Add(name, 0, "", "", "is not a readable Parquet file: "+err.Error(), models.ErrInvalid)
		return false
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		probs.Add(name, 0, "", "", "is not a readable Parquet file: "+err.Error(), models.ErrInvalid)
		return false
	}
	defer tbl.Release()
	n := int(tbl.NumRows())
	t.header = make([]string, tbl.NumCols())
	for j := range t.header {
		t.header[j] = strings.ToLower(strings.TrimSpace(tbl.Schema().Field(j).Name))
	}
	t.rows = make([][]string, n)
	t.rowNum = make([]int, n)
	for i := range t.rows {
		t.rows[i] = make([]string, len(t.header))
		t.rowNum[i] = i + 2
	}
	for j := range t.header {
		i := 0
		for _, chunk := range tbl.Column(j).Data().Chunks() {
			for k := 0; k < chunk.Len(); k++ {
				if !chunk.IsNull(k) {
					t.rows[i][j] = strings.TrimSpace(chunk.ValueStr(k))
				}
				i++
			}
		}
	}
	return true
}
