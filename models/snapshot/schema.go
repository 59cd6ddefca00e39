package snapshot

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/wenzhou/danbao/models"
)

// Schema metadata keys and values written into both files of a snapshot.
const (
	// MetaSchema names the snapshot layout; Read rejects other values.
	MetaSchema = "danbao.schema"
	// SchemaV1 is the layout this package writes.
	SchemaV1 = "danbao.snapshot/v1"
	// MetaAsOf holds Portfolio.AsOf as YYYY-MM-DD (absent when unknown).
	MetaAsOf = "danbao.as_of"
)

// File names of a snapshot's tables, in the snapshot folder (Write, Read)
// and in the exports (WriteParquet, WriteCSV). The links table is
// optional: a snapshot without links has no links file, and the writers
// write none for an empty table.
const (
	LoansFile      = "loans.arrow"
	GuarantorsFile = "guarantors.arrow"
	// LinksFile holds the guarantees between borrowers (models.Link).
	LinksFile = "links.arrow"

	LoansParquet      = "loans.parquet"
	GuarantorsParquet = "guarantors.parquet"
	LinksParquet      = "links.parquet"

	LoansCSV      = "loans.csv"
	GuarantorsCSV = "guarantors.csv"
	LinksCSV      = "links.csv"
)

// kind is the logical type of a column. Each kind has one Arrow type in a
// snapshot, and one text form in CSV and XLSX.
type kind uint8

const (
	kString kind = iota // dictionary<int32, utf8>, or utf8 when plain
	kMoney              // decimal128(18,2) yuan; models.Cents
	kFloat              // float64
	kDate               // date32; models.Date
	kBool               // bool
)

// moneyType is the Arrow type of every money column: yuan with two decimals,
// so the unscaled integer is the fen count (models.Cents).
var moneyType = &arrow.Decimal128Type{Precision: 18, Scale: 2}

// dictType is the Arrow type of every dictionary-encoded string column.
var dictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// column describes one column of a table of T (models.Loan or
// models.Guarantor): its name as in docs/data.md, its kind, whether an
// input must have it, and the accessor of the field it fills. Exactly the
// accessor matching kind is set.
type column[T any] struct {
	name     string
	kind     kind
	required bool
	plain    bool // kString written as plain utf8 rather than dictionary-encoded

	str   func(*T) *string
	money func(*T) *models.Cents
	num   func(*T) *float64
	date  func(*T) *models.Date
	flag  func(*T) *bool

	// unset reports whether the row's value means "not given"; it is then
	// written as null (empty in CSV). Nil: the value is always written.
	unset func(*T) bool
}

// copyField sets c's field of dst to src's.
func (c *column[T]) copyField(dst, src *T) {
	switch c.kind {
	case kString:
		*c.str(dst) = *c.str(src)
	case kMoney:
		*c.money(dst) = *c.money(src)
	case kFloat:
		*c.num(dst) = *c.num(src)
	case kDate:
		*c.date(dst) = *c.date(src)
	case kBool:
		*c.flag(dst) = *c.flag(src)
	}
}

// fieldEqual reports whether c's field is the same in a and b (a float
// bit for bit, so NaN equals NaN).
func (c *column[T]) fieldEqual(a, b *T) bool {
	switch c.kind {
	case kString:
		return *c.str(a) == *c.str(b)
	case kMoney:
		return *c.money(a) == *c.money(b)
	case kFloat:
		return math.Float64bits(*c.num(a)) == math.Float64bits(*c.num(b))
	case kDate:
		return *c.date(a) == *c.date(b)
	case kBool:
		return *c.flag(a) == *c.flag(b)
	}
	return false
}

// arrowType returns the column's type in a snapshot.
func (c *column[T]) arrowType() arrow.DataType {
	switch c.kind {
	case kString:
		if c.plain {
			return arrow.BinaryTypes.String
		}
		return dictType
	case kMoney:
		return moneyType
	case kFloat:
		return arrow.PrimitiveTypes.Float64
	case kDate:
		return arrow.FixedWidthTypes.Date32
	default:
		return arrow.FixedWidthTypes.Boolean
	}
}

func isNaN(p *float64) bool { return math.IsNaN(*p) }

// loanColumns are the columns of loans.arrow, in file order (docs/data.md).
// loan_id and borrower_id are plain utf8 (nearly every value is distinct, so
// a dictionary would only add the indices); every other string column is
// dictionary-encoded.
var loanColumns = []column[models.Loan]{
	{name: "loan_id", kind: kString, required: true, plain: true, str: func(l *models.Loan) *string { return &l.LoanID }},
	{name: "borrower_id", kind: kString, plain: true, str: func(l *models.Loan) *string { return &l.BorrowerID },
		unset: func(l *models.Loan) bool { return l.BorrowerID == "" }},
	{name: "guarantor_id", kind: kString, required: true, str: func(l *models.Loan) *string { return &l.GuarantorID }},
	{name: "bank_id", kind: kString, str: func(l *models.Loan) *string { return &l.BankID }},
	{name: "county", kind: kString, required: true, str: func(l *models.Loan) *string { return &l.County }},
	{name: "industry", kind: kString, required: true, str: func(l *models.Loan) *string { return &l.Industry }},
	{name: "product", kind: kString, str: func(l *models.Loan) *string { return &l.Product }},
	{name: "segment", kind: kString, str: func(l *models.Loan) *string { return &l.Segment }},
	{name: "balance", kind: kMoney, required: true, money: func(l *models.Loan) *models.Cents { return &l.Balance }},
	{name: "guarantee_ratio", kind: kFloat, num: func(l *models.Loan) *float64 { return &l.GuaranteeRatio },
		unset: func(l *models.Loan) bool { return isNaN(&l.GuaranteeRatio) }},
	{name: "interest_rate", kind: kFloat, num: func(l *models.Loan) *float64 { return &l.InterestRate }},
	{name: "fee_rate", kind: kFloat, num: func(l *models.Loan) *float64 { return &l.FeeRate },
		unset: func(l *models.Loan) bool { return isNaN(&l.FeeRate) }},
	{name: "start_date", kind: kDate, date: func(l *models.Loan) *models.Date { return &l.StartDate },
		unset: func(l *models.Loan) bool { return l.StartDate.IsZero() }},
	{name: "maturity_date", kind: kDate, date: func(l *models.Loan) *models.Date { return &l.MaturityDate },
		unset: func(l *models.Loan) bool { return l.MaturityDate.IsZero() }},
	{name: "pd", kind: kFloat, required: true, num: func(l *models.Loan) *float64 { return &l.PD }},
	{name: "lgd", kind: kFloat, required: true, num: func(l *models.Loan) *float64 { return &l.LGD }},
	{name: "reguarantee_eligible", kind: kBool, flag: func(l *models.Loan) *bool { return &l.ReguaranteeEligible }},
	{name: "counter_guarantee", kind: kBool, flag: func(l *models.Loan) *bool { return &l.CounterGuarantee }},
	{name: "group_id", kind: kString, str: func(l *models.Loan) *string { return &l.GroupID },
		unset: func(l *models.Loan) bool { return l.GroupID == "" }},
}

// guarantorColumns are the columns of guarantors.arrow, in file order.
var guarantorColumns = []column[models.Guarantor]{
	{name: "guarantor_id", kind: kString, required: true, str: func(g *models.Guarantor) *string { return &g.GuarantorID }},
	{name: "name", kind: kString, str: func(g *models.Guarantor) *string { return &g.Name },
		unset: func(g *models.Guarantor) bool { return g.Name == "" }},
	{name: "level", kind: kString, required: true, str: func(g *models.Guarantor) *string { return &g.Level }},
	{name: "county", kind: kString, required: true, str: func(g *models.Guarantor) *string { return &g.County }},
	{name: "registered_capital", kind: kMoney, required: true, money: func(g *models.Guarantor) *models.Cents { return &g.RegisteredCapital }},
	{name: "net_assets", kind: kMoney, required: true, money: func(g *models.Guarantor) *models.Cents { return &g.NetAssets }},
	{name: "parent_id", kind: kString, str: func(g *models.Guarantor) *string { return &g.ParentID },
		unset: func(g *models.Guarantor) bool { return g.ParentID == "" }},
	{name: "parent_stake", kind: kFloat, num: func(g *models.Guarantor) *float64 { return &g.ParentStake }},
	// government_capital < 0 is NewGuarantor's "not given" (= registered_capital).
	{name: "government_capital", kind: kMoney, money: func(g *models.Guarantor) *models.Cents { return &g.GovernmentCapital },
		unset: func(g *models.Guarantor) bool { return g.GovernmentCapital < 0 }},
	{name: "reserves", kind: kMoney, money: func(g *models.Guarantor) *models.Cents { return &g.Reserves }},
	{name: "in_reguarantee", kind: kBool, flag: func(g *models.Guarantor) *bool { return &g.InReguarantee }},
	{name: "focused", kind: kBool, flag: func(g *models.Guarantor) *bool { return &g.Focused }},
	{name: "opex_rate", kind: kFloat, num: func(g *models.Guarantor) *float64 { return &g.OpexRate },
		unset: func(g *models.Guarantor) bool { return isNaN(&g.OpexRate) }},
	{name: "investment_yield", kind: kFloat, num: func(g *models.Guarantor) *float64 { return &g.InvestmentYield },
		unset: func(g *models.Guarantor) bool { return isNaN(&g.InvestmentYield) }},
}

// arrowSchema returns the snapshot schema of cols with the metadata of pf.
func arrowSchema[T any](cols []column[T], asOf models.Date) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i := range cols {
		c := &cols[i]
		fields[i] = arrow.Field{Name: c.name, Type: c.arrowType(), Nullable: c.unset != nil}
	}
	keys, vals := []string{MetaSchema}, []string{SchemaV1}
	if !asOf.IsZero() {
		keys, vals = append(keys, MetaAsOf), append(vals, asOf.String())
	}
	md := arrow.NewMetadata(keys, vals)
	return arrow.NewSchema(fields, &md)
}

// LoanColumns and GuarantorColumns return the column names of the two
// tables in file order (docs/data.md).
func LoanColumns() []string      { return names(loanColumns) }
func GuarantorColumns() []string { return names(guarantorColumns) }

func names[T any](cols []column[T]) []string {
	out := make([]string, len(cols))
	for i := range cols {
		out[i] = cols[i].name
	}
	return out
}
