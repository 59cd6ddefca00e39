package sim

// contribSegments assigns every loan its segment in each dimension of the
// ES contributions (county, industry, product, guarantor), in the order of
// first appearance among the loans. A path's segment losses are a row of
// S int64 (fen): dimension k's segment j at off[k] + j.
type contribSegments struct {
	dims  []string   // the dimensions' names
	names [][]string // [k][j] segment j of dimension k
	ids   [][]int32  // [k][loan] the loan's segment in dimension k
	off   []int      // [k] the offset of dimension k in a row
	S     int        // Σ_k len(names[k])
	// at[loan] is the loan's four segments as offsets in a row (off[k] +
	// ids[k][loan]), one byte each, read once per default by add; nil when
	// S > 256.
	at [][4]uint8
}

// maxRecordedSegments bounds S for recording segment losses per path (an
// importance-sampling run's ES contributions, ESContributions); a book
// with more segments replays its tail paths instead. MemoryEstimate
// counts S = maxRecordedSegments for every path.
const maxRecordedSegments = 64

// newContribSegments indexes m's loans by county, industry, product (the
// compiled m.segs) and guarantor (guarantor(i) the id of loan i's
// guarantor).
func newContribSegments(m *Model, guarantor func(i int) string) *contribSegments {
	gids, gnames := segmentIDs(m.n, guarantor)
	dims := []struct {
		name  string
		ids   []int32
		names []string
	}{
		{"county", m.segs.ids[0], m.segs.names[0]},
		{"industry", m.segs.ids[1], m.segs.names[1]},
		{"product", m.segs.ids[2], m.segs.names[2]},
		{"guarantor", gids, gnames},
	}
	cs := &contribSegments{}
	for _, d := range dims {
		cs.dims = append(cs.dims, d.name)
		cs.names = append(cs.names, d.names)
		cs.ids = append(cs.ids, d.ids)
		cs.off = append(cs.off, cs.S)
		cs.S += len(d.names)
	}
	if cs.S <= 256 {
		cs.at = make([][4]uint8, m.n)
		for i := range cs.at {
			for k, ids := range cs.ids {
				cs.at[i][k] = uint8(cs.off[k] + int(ids[i]))
			}
		}
	}
	return cs
}

// add adds each default's loss to its segments in row (len S).
func (cs *contribSegments) add(row []int64, events []Event) {
	if cs.at == nil {
		for _, e := range events {
			for k, ids := range cs.ids {
				row[cs.off[k]+int(ids[e.Loan])] += e.Loss
			}
		}
		return
	}
	for _, e := range events {
		at := &cs.at[e.Loan]
		row[at[0]] += e.Loss
		row[at[1]] += e.Loss
		row[at[2]] += e.Loss
		row[at[3]] += e.Loss
	}
}

// guarantorID returns the id of loan i's guarantor.
func (L *Ledger) guarantorID(i int) string { return L.Guarantors[L.loans[i].g].GuarantorID }
