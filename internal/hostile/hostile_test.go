package hostile

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// The files must be what they claim, or the readers' tests prove nothing.

func TestArrowDeclares(t *testing.T) {
	data := Arrow(Rows)
	r, err := ipc.NewFileReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.RecordBatchAt(0)
	if err != nil {
		t.Fatal(err)
	}
	if rec.NumRows() != Rows || len(data) > 1024 {
		t.Errorf("%d bytes declaring %d rows", len(data), rec.NumRows())
	}
}

func TestParquetDeclares(t *testing.T) {
	data, err := Parquet(Rows)
	if err != nil {
		t.Fatal(err)
	}
	r, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if r.NumRows() != Rows || r.MetaData().RowGroup(0).NumRows() != Rows || len(data) > 8<<10 {
		t.Errorf("%d bytes declaring %d rows (row group: %d)", len(data), r.NumRows(), r.MetaData().RowGroup(0).NumRows())
	}
}

// TestXLSXUnzips unzips a 64 MiB version of the bomb: archive/zip checks
// the size and the CRC the header declares.
func TestXLSXUnzips(t *testing.T) {
	const part = 64 << 20
	data, err := XLSX(part)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		if err != nil {
			t.Fatalf("%s: %v after %d bytes", f.Name, err, n)
		}
		if f.Name == "xl/worksheets/sheet1.xml" && (n < part-(1<<20) || n > part) {
			t.Errorf("the sheet unzips to %d bytes, want about %d", n, part)
		}
	}
	if len(data) > part/500 {
		t.Errorf("%d bytes for a %d-byte part", len(data), part)
	}
	big, err := XLSX(1 << 30)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("64 MiB part: %d bytes; 1 GiB part: %d bytes", len(data), len(big))
}

// TestPeakRSSSees checks that PeakRSS measures: touching 128 MiB inside f
// must show in the peak.
func TestPeakRSSSees(t *testing.T) {
	var keep []byte
	peak, ok := PeakRSS(func() {
		keep = bytes.Repeat([]byte{1}, 128<<20)
	})
	if !ok {
		t.Skip("no /proc/self/clear_refs here")
	}
	if peak < 128<<20 {
		t.Errorf("peak %d MiB after touching 128 MiB", peak>>20)
	}
	_ = keep[len(keep)-1]
}
