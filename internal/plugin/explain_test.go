package plugin

import (
	"bytes"
	"strings"
	"testing"
)

// TestExplainTiers runs explain on testdata/explain/tiers.yaml (its header lists the cluster) and compares stdout
// with testdata/golden/explain-tiers-<name>.txt (-update rewrites them, as for TestGolden): each way a side is
// decided — an Admin Pass then NetworkPolicy, an Admin Deny over NetworkPolicy, Baseline Accept and Deny, the
// default, audit mode — and the domainNames fields of the rules looked at, which nftpolicy does not enforce.
func TestExplainTiers(t *testing.T) {
	const cluster = "testdata/explain/tiers.yaml"
	for _, tc := range []struct {
		name string
		args []string
	}{
		// Egress: the Admin rules with domainNames match nothing (Accept) and only TCP 443 (Deny), then Baseline
		// accepts; ingress: the Admin Pass hands prod/web to its NetworkPolicy, which allows.
		{"pass", []string{"--from", "dev/app", "--to", "prod/web", "--port", "http"}},
		{"pass-json", []string{"--from", "dev/app", "--to", "prod/web", "--port", "http", "-o", "json"}},
		{"pass-yaml", []string{"--from", "dev/app", "--to", "prod/web", "--port", "http", "-o", "yaml"}},
		// Both sides denied by Admin: egress by the Deny whose domainNames fail closed, ingress whatever
		// prod/web-ingress says.
		{"deny", []string{"--from", "dev/app", "--to", "prod/web", "--port", "443"}},
		{"deny-json", []string{"--from", "dev/app", "--to", "prod/web", "--port", "443", "-o", "json"}},
		// Baseline: egress accepted, ingress denied.
		{"baseline", []string{"--from", "prod/web", "--to", "dev/app", "--port", "http"}},
		// No rule matches an address that is no pod: the default allows.
		{"default", []string{"--from", "203.0.113.5", "--to", "dev/app", "--port", "80"}},
		// ops/deny-all isolates ops/tool, in audit mode: let through; Baseline does not apply under NetworkPolicy.
		{"audit", []string{"--from", "prod/db", "--to", "ops/tool", "--port", "80"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"explain", "-f", cluster}, tc.args...)
			if code := Main(args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			checkGolden(t, "explain-tiers-"+tc.name, out.String())
		})
	}
}
