// Package snapshot reads and writes danbao's portfolio snapshots and
// imports the tables guarantee institutions keep.
//
// A snapshot is a folder with two Arrow IPC files (Feather v2),
// loans.arrow and guarantors.arrow, whose columns are those of docs/data.md in that order:
//
//	money (balance, registered_capital, …)   decimal128(18,2) yuan: the unscaled value is models.Cents
//	loan_id, borrower_id                     utf8
//	every other string                       dictionary<int32, utf8>, one dictionary per column
//	rates, pd, lgd, parent_stake             float64; null where the model's NaN means "not given"
//	start_date, maturity_date                date32; null where models.Date is zero
//	flags                                    bool
//
// The schema metadata holds "danbao.schema" = "danbao.snapshot/v1" and, when
// known, "danbao.as_of" = the snapshot date as YYYY-MM-DD. A null in any
// column means "not given": the column's default (models.NewLoan,
// models.NewGuarantor), or a problem for a required one.
//
// Write and Read are the snapshot's two ends: Write makes the folder appear
// complete or not at all, Read memory-maps the files and validates what it
// decodes. WriteParquet and WriteCSV export the same tables, and Import
// reads CSV, XLSX, Parquet or Arrow tables from any source, reporting every
// problem at once with file, row, column, value and reason. All functions
// are safe for concurrent use; a Portfolio they return belongs to the
// caller and shares no memory with the files or with Arrow buffers.
//
// Arrow memory comes from Options.Mem or ImportOptions.Mem (default
// memory.DefaultAllocator) and is released before each function returns.
package snapshot
