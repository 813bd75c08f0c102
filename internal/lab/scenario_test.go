package lab

import (
	"flag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/internal/manifest"
)

// TestLoadScenariosRejects: bad input is one message naming the file and object, before the lab makes anything.
func TestLoadScenariosRejects(t *testing.T) {
	const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec: {containers: [{name: c, image: i}]}\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"hostNetwork", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec: {hostNetwork: true, containers: [{name: c, image: i}]}\n",
			"Pod x/p: spec.hostNetwork"},
		{"bad IP", pod + "status: {podIPs: [{ip: 10.0.0.300}]}\n", `Pod x/p: status.podIPs[0]: not an IP address: "10.0.0.300"`},
		{"two IPv4", pod + "status: {podIPs: [{ip: 10.0.0.3}, {ip: 10.0.0.4}]}\n", "Pod x/p: status.podIPs[1]: a second IPv4 address"},
		{"loopback", pod + "status: {podIP: 127.0.0.1}\n", "not a unicast address"},
		{"shared IP", pod + "status: {podIP: 10.0.0.3}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: x}\n" +
			"spec: {containers: [{name: c, image: i}]}\nstatus: {podIP: 10.0.0.3}\n", "Pod x/q: status.podIPs: 10.0.0.3 is also pod x/p's"},
		{"invalid policy", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: x}\n" +
			"spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]}\n", "NetworkPolicy x/np"},
		{"typo", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: x}\nspec: {podSelectr: {}}\n", "podSelectr"},
		{"invalid cluster policy", "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: cnp}\n" +
			"spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [10.0.0.1/8]}]}]}\n",
			`document 1: ClusterNetworkPolicy cnp: spec.egress[0].to[0].networks[0]: invalid CIDR "10.0.0.1/8"`},
		{"cluster policy typo", "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: cnp}\n" +
			"spec: {tier: Admin, priority: 1, subjet: {namespaces: {}}}\n", "ClusterNetworkPolicy cnp: spec.subjet: unknown field"},
		{"node", "apiVersion: v1\nkind: Node\nmetadata: {name: worker}\n", "Node worker: the lab has one node of its own, nftpolicy-lab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "s.yaml")
			if err := os.WriteFile(f, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := loadScenarios([]string{f}, true)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), f) {
				t.Fatalf("error %v, want one naming %s and saying %q", err, f, tc.want)
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestLoadScenariosShapes(t *testing.T) {
	demo, err := loadScenarios(nil, true)
	if err != nil || len(demo) != 1 || demo[0].name != demoName || len(demo[0].objs.Pods) != 5 {
		t.Fatalf("demo: %v, %v", demo, err)
	}
	ex, err := loadScenarios([]string{"../../examples/clusternetworkpolicy"}, true)
	if err != nil || len(ex) != 1 || len(ex[0].objs.ClusterPolicies) != 3 || len(ex[0].objs.Pods) != 4 || len(ex[0].ips) != 4 {
		t.Fatalf("examples/clusternetworkpolicy: %v, %v", ex, err)
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	for _, f := range []string{a, b} {
		if err := os.WriteFile(f, []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	once, err := loadScenarios([]string{a, b}, true)
	if err != nil || len(once) != 2 || once[0].name != a || once[1].name != b {
		t.Fatalf("--once: one scenario per -f: %v %v", once, err)
	}
	// Live, all files are one cluster: the same Namespace twice is a duplicate.
	if _, err := loadScenarios([]string{a, b}, false); err == nil {
		t.Fatal("live: a namespace defined in two files was accepted")
	}
}

func TestOptionsComplete(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "" = valid
	}{
		{[]string{"--once", "-o", "json", "--ports", "80,81", "--protocols", "tcp,UDP", "--external", "192.0.2.1"}, ""},
		{[]string{"-o", "json"}, "-o json needs --once"},
		{[]string{"--once", "-o", "yaml"}, `-o: want "text" or "json"`},
		{[]string{"--protocols", "TCP"}, "--protocols needs --ports"},
		{[]string{"--ports", "0"}, "not a port"},
		{[]string{"--ports", "80,x"}, "not a port"},
		{[]string{"--ports", "80", "--protocols", "ICMP"}, "not a protocol"},
		{[]string{"--topology", "mesh"}, "want bridge or routed"},
		{[]string{"--external", "192.0.2.300"}, "not an IP address"},
		{[]string{"--external", "192.0.2.1", "--external", "192.0.2.1"}, "given twice"},
		{[]string{"--pod-cidr", "10.0.0.0/25"}, "want a /24 or larger"},
		{[]string{"--pod-cidr", "10.0.0.0/16", "--pod-cidr", "10.1.0.0/16"}, "at most one CIDR per address family"},
		{[]string{"--probe-timeout", "-1s"}, "--probe-timeout must be positive"},
		{[]string{"--probe-timeout", "1ns"}, "too short"},
	} {
		fs := flag.NewFlagSet("lab", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		o := &Options{}
		o.Bind(fs)
		err := fs.Parse(tc.args)
		if err == nil {
			err = o.Complete()
		}
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestCheckBridgeAddrs(t *testing.T) {
	for _, tc := range []struct {
		ip string
		ok bool
	}{{"10.0.0.1", false}, {"10.0.0.0", false}, {"10.0.0.255", false}, {"10.0.0.2", true}, {"10.0.1.10", true},
		{"fd00::1", false}, {"fd00::", false}, {"fd00::2", true}, {"fd00::1:0:0:1", true}} {
		s := &scenario{name: "s", ips: map[string][]netip.Addr{"x/p": {netip.MustParseAddr(tc.ip)}},
			objs: &manifest.Objects{Sources: map[string]string{}}}
		err := checkBridgeAddrs([]*scenario{s})
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.ip, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--topology routed") {
			t.Errorf("%s: %v does not suggest the routed topology", tc.ip, err)
		}
	}
}

func TestKubeconfigNeverReplacesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	a := &apiServer{kubeconfig: []byte("apiVersion: v1\nkind: Config\n")}
	mine, theirs := filepath.Join(dir, "mine"), filepath.Join(dir, "theirs")
	if err := os.WriteFile(theirs, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.writeKubeconfig(theirs); err == nil || !strings.Contains(err.Error(), "not written by nftpolicy lab") {
		t.Fatalf("overwrote a foreign kubeconfig: %v", err)
	}
	if err := a.writeKubeconfig(mine); err != nil {
		t.Fatal(err)
	}
	if err := a.writeKubeconfig(mine); err != nil { // its own, again: fine
		t.Fatal(err)
	}
	if !labKubeconfig(mine) || labKubeconfig(theirs) {
		t.Fatal("labKubeconfig tells the lab's file from a foreign one wrongly")
	}
	o := &Options{StateRoot: filepath.Join(dir, "state"), Kubeconfig: theirs}
	if err := cleanup(o, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(theirs); err != nil {
		t.Fatalf("--cleanup removed a foreign kubeconfig: %v", err)
	}
}
