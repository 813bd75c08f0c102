package lab

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/nftpolicy/nftpolicy/internal/lab/view"
)

// One JSON object per probe; "audited" only on probes audit mode let through, so output without audit mode is
// unchanged. The tally compares observed with expected and knows nothing of audit mode.
func TestWriteJSON(t *testing.T) {
	base := view.Result{From: "x/a", To: "x/b", FromIP: netip.MustParseAddr("10.244.1.10"),
		ToIP: netip.MustParseAddr("10.244.1.11"), Port: 80, Protocol: "TCP", Observed: true, Expected: true}
	audited := base
	audited.Port, audited.Audited = 81, true
	denied := base
	denied.Port, denied.Observed, denied.Expected = 82, false, false
	missed := audited // audit mode expected it through, but it was dropped
	missed.Port, missed.Observed = 83, false
	var b bytes.Buffer
	if err := writeJSON(&b, "a.yaml", []view.Result{base, audited, denied, missed}); err != nil {
		t.Fatal(err)
	}
	const head = `{"scenario":"a.yaml","from":"x/a","to":"x/b","fromIP":"10.244.1.10","toIP":"10.244.1.11",`
	want := head + `"port":80,"protocol":"TCP","observed":"allow","expected":"allow"}` + "\n" +
		head + `"port":81,"protocol":"TCP","observed":"allow","expected":"allow","audited":true}` + "\n" +
		head + `"port":82,"protocol":"TCP","observed":"deny","expected":"deny"}` + "\n" +
		head + `"port":83,"protocol":"TCP","observed":"deny","expected":"allow","audited":true}` + "\n"
	if b.String() != want {
		t.Errorf("writeJSON wrote\n%s\nwant\n%s", b.String(), want)
	}
	var tl tally
	tl.add([]view.Result{base, audited, denied, missed})
	if got := tl.String(); got != "3 passed, 1 failed" {
		t.Errorf("tally %q, want 3 passed, 1 failed", got)
	}
}
