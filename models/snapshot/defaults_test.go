package snapshot

import (
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/wenzhou/danbao/models"
)

// decodeTable starts a row at the zero value and gives it the default row's
// value only in the columns whose default is not zero (unwrittenDefaults).
// That is the default row only if every field it sets is some column's:
// a zero row given every column's default must be the default row.
func TestColumnsCoverDefaults(t *testing.T) {
	check := func(name string, got, want any) {
		t.Helper()
		if g, w := fmt.Sprintf("%#v", got), fmt.Sprintf("%#v", want); g != w {
			t.Errorf("%s: a zero row with every column's default is\n%s\nwant the default row\n%s", name, g, w)
		}
	}
	var l models.Loan
	dl := models.NewLoan()
	for k := range loanColumns {
		loanColumns[k].copyField(&l, &dl)
	}
	check("loans", l, dl)
	var g models.Guarantor
	dg := models.NewGuarantor()
	for k := range guarantorColumns {
		guarantorColumns[k].copyField(&g, &dg)
	}
	check("guarantors", g, dg)
	var k models.Link
	dk := models.NewLink()
	for j := range linkColumns {
		linkColumns[j].copyField(&k, &dk)
	}
	check("links", k, dk)
}

// A value the file does not give keeps the column's default whichever way
// it is missing: the column absent, a null, a null in a dictionary's
// values, or NaN in a float column. Rows 0–3 of a loans table: bank_id
// absent from the table (every row "unknown"); product a dictionary whose
// value 1 is null (row 1), segment a plain string column with a null (row
// 2), fee_rate NaN (row 3), reguarantee_eligible null (row 0).
func TestDecodeKeepsDefaults(t *testing.T) {
	mem := checkedMem(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "loan_id", Type: arrow.BinaryTypes.String},
		{Name: "product", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}},
		{Name: "segment", Type: arrow.BinaryTypes.String},
		{Name: "fee_rate", Type: arrow.PrimitiveTypes.Float64},
		{Name: "reguarantee_eligible", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	col := func(bld array.Builder) arrow.Array {
		a := bld.NewArray()
		bld.Release()
		t.Cleanup(a.Release)
		return a
	}
	ids := array.NewStringBuilder(mem)
	ids.AppendValues([]string{"L0", "L1", "L2", "L3"}, nil)
	dv := array.NewStringBuilder(mem)
	dv.AppendValues([]string{"tech", ""}, []bool{true, false})
	ib := array.NewInt32Builder(mem)
	ib.AppendValues([]int32{0, 1, 0, 0}, nil)
	prod := array.NewDictionaryArray(schema.Field(1).Type, col(ib), col(dv))
	defer prod.Release()
	seg := array.NewStringBuilder(mem)
	seg.AppendValues([]string{"small", "", "agri", "micro"}, []bool{true, true, false, true})
	fee := array.NewFloat64Builder(mem)
	fee.AppendValues([]float64{0.01, 0.02, 0.03, math.NaN()}, nil)
	elig := array.NewBooleanBuilder(mem)
	elig.AppendValues([]bool{false, false, false, false}, []bool{false, true, true, true})
	tbl := &table{schema: schema, nrows: 4, cols: [][]arrow.Array{{col(ids)}, {prod}, {col(seg)}, {col(fee)}, {col(elig)}}}
	loans := decodeTable(newDecoder(LoansFile), loanColumns, tbl, models.NewLoan, nil)
	def := models.NewLoan()
	want := []struct {
		product, segment string
		feeNaN, eligible bool
	}{{"tech", "small", false, def.ReguaranteeEligible}, {def.Product, "", false, false}, {"tech", def.Segment, false, false}, {"tech", "micro", true, false}}
	for i, w := range want {
		l := loans[i]
		if l.BankID != def.BankID || l.Product != w.product || l.Segment != w.segment || math.IsNaN(l.FeeRate) != w.feeNaN || l.ReguaranteeEligible != w.eligible {
			t.Errorf("row %d = %+v, want bank %q, product %q, segment %q, fee NaN %v, eligible %v", i, l, def.BankID, w.product, w.segment, w.feeNaN, w.eligible)
		}
	}
}
