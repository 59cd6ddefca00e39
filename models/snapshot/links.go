package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/wenzhou/danbao/models"
)

// linkColumns are the columns of links.arrow, in file order
// (docs/chains.md). The borrower ids are plain utf8, like loans.arrow's.
var linkColumns = []column[models.Link]{
	{name: "from_borrower", kind: kString, required: true, plain: true, str: func(k *models.Link) *string { return &k.From }},
	{name: "to_borrower", kind: kString, required: true, plain: true, str: func(k *models.Link) *string { return &k.To }},
	{name: "amount", kind: kMoney, required: true, money: func(k *models.Link) *models.Cents { return &k.Amount }},
	// capacity < 0 is NewLink's "not given" (DefaultCapacityMultiple × own balance).
	{name: "capacity", kind: kMoney, money: func(k *models.Link) *models.Cents { return &k.Capacity },
		unset: func(k *models.Link) bool { return k.Capacity < 0 }},
}

// LinkColumns returns the column names of links.arrow in file order.
func LinkColumns() []string { return names(linkColumns) }

// ImportWithLinks is ImportFrom with a third table, the links between
// borrowers (from_borrower, to_borrower, amount[, capacity]), read in any
// of Import's formats (an XLSX workbook: the sheet "links", else the
// first). Its problems (unknown borrowers, self-links, negative amounts,
// repeated pairs, conflicting capacities) are reported with the others,
// at the links file's rows; nothing is returned on any problem.
func ImportWithLinks(loans, guarantors, links Input, opts ImportOptions) (pf *models.Portfolio, warnings []string, err error) {
	return importFrom(loans, guarantors, &links, opts)
}

// ImportLinksFile is Import with a links file (see ImportWithLinks).
func ImportLinksFile(loansPath, guarantorsPath, linksPath string, opts ImportOptions) (pf *models.Portfolio, warnings []string, err error) {
	var in [3]Input
	for i, p := range []string{loansPath, guarantorsPath, linksPath} {
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		in[i] = Input{Name: p, R: f}
	}
	return ImportWithLinks(in[0], in[1], in[2], opts)
}

// readLinks decodes links.arrow of a snapshot into pf.Links, if r is not
// nil; problems go to d.
func readLinks(d *decoder, r ReadAtSeeker, mem memory.Allocator, pf *models.Portfolio) {
	if r == nil {
		return
	}
	decodeIPC(d, r, mem, func(t *table) {
		pf.Links = decodeTable(d, linkColumns, t, models.NewLink, nil)
		if g := asOfMeta(d, t.schema); g != pf.AsOf && !g.IsZero() {
			d.add(0, "", g.String(), fmt.Sprintf("schema metadata %s differs from %s's %q", MetaAsOf, LoansFile, pf.AsOf.String()), models.ErrConflict)
		}
	})
}

// notExist reports whether err says a file is absent.
func notExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
