package netnstest

import (
	"os"
	"strings"
	"testing"
)

func TestNewExec(t *testing.T) {
	var name, path string
	t.Run("inner", func(t *testing.T) {
		name, path = New(t, "nt")
		if !strings.HasPrefix(name, "nftp-nt-") || path != "/run/netns/"+name {
			t.Fatalf("New = %q, %q", name, path)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatal(err)
		}
		// A fresh namespace has only lo, and it is down.
		out, err := Exec(t, name, "", "ip", "-br", "link")
		if err != nil || !strings.HasPrefix(out, "lo ") || strings.Count(out, "\n") != 1 {
			t.Errorf("ip -br link in %s: %q, %v", name, out, err)
		}
		if out, err := Exec(t, name, "hello", "cat"); err != nil || out != "hello" {
			t.Errorf("stdin: %q, %v", out, err)
		}
		if _, err := Exec(t, name, "", "false"); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("failing command: %v", err)
		}
	})
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s still exists after the test ended: %v", path, err)
	}
}

func TestExecRefusesForeignNamespaces(t *testing.T) {
	for _, ns := range []string{"", "default", "nftp-x/../../foo", "other-nftp-x"} {
		if out, err := Exec(t, ns, "", "true"); err == nil {
			t.Errorf("Exec in %q ran: %q", ns, out)
		}
	}
}
