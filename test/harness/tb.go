package harness

// TB is the part of testing.TB the harness uses. *testing.T and *testing.B satisfy it, and so does Ginkgo's
// GinkgoT(), which cannot satisfy testing.TB itself (it has an unexported method).
type TB interface {
	Helper()
	Cleanup(func())
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}
