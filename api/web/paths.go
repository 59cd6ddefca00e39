package web

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/wenzhou/danbao/sim"
)

// storedPathLosses is pathLosses for a finished run of the API: it reads the
// per-path losses out of a run's per-path table as the
// API serves it (GET /v1/runs/{id}/paths?format=arrows: an Arrow IPC stream,
// api.PathsSchema): loss_total under sim.PartyTotal and, for runs with the
// policy ledger, loss_<party> under each of sim.PartyNames, in yuan, in path
// order. The money columns are decimal128 with scale 2, i.e. an integer
// number of fen; a loss is fen/100, the same float64 as parsing the CSV's
// "yuan.fen" text (both are the correctly rounded value of the decimal).
func storedPathLosses(r io.Reader) (map[string][]float64, error) {
	rd, err := ipc.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("per-path table: %w", err)
	}
	defer rd.Release()
	want := map[string]string{"loss_" + sim.PartyTotal: sim.PartyTotal}
	for _, p := range sim.PartyNames {
		want["loss_"+p] = p
	}
	cols := map[int]string{} // column index → party
	for i, f := range rd.Schema().Fields() {
		party, ok := want[f.Name]
		if !ok {
			continue
		}
		if dt, ok := f.Type.(*arrow.Decimal128Type); !ok || dt.Scale != 2 || dt.Precision > 18 {
			return nil, fmt.Errorf("per-path table: column %s is %s, want decimal128(18,2)", f.Name, f.Type)
		}
		cols[i] = party
	}
	if !rd.Schema().HasField("loss_" + sim.PartyTotal) {
		return nil, fmt.Errorf("per-path table: no column loss_%s", sim.PartyTotal)
	}
	losses := map[string][]float64{}
	for _, party := range cols {
		losses[party] = nil
	}
	row := 0
	for rd.Next() {
		rec := rd.RecordBatch()
		for i, party := range cols {
			col := rec.Column(i).(*array.Decimal128)
			for k := range col.Len() {
				if col.IsNull(k) {
					return nil, fmt.Errorf("per-path table: path row %d: loss_%s is null", row+k, party)
				}
				// Precision ≤ 18: the value fits in the low 64 bits.
				losses[party] = append(losses[party], float64(int64(col.Value(k).LowBits()))/100)
			}
		}
		row += int(rec.NumRows())
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("per-path table: %w", err)
	}
	return losses, nil
}
