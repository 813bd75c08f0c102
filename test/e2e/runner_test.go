package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/plugin"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
	"github.com/nftpolicy/nftpolicy/test/harness"
)

// runner programs the nodes of one cluster, keeping one nft-layer connection per node across steps, as the
// agent does.
type runner struct {
	c     *harness.Cluster
	conns map[string]*kernel.Conn
}

func newRunner(t *testing.T, c *harness.Cluster) *runner {
	r := &runner{c: c, conns: map[string]*kernel.Conn{}}
	t.Cleanup(func() {
		for _, conn := range r.conns {
			conn.Close()
		}
	})
	return r
}

// syncStep programs every node through the nft layer, incrementally, and checks the step.
func (r *runner) syncStep(t *testing.T, tc Case, i int, st Step, e env) {
	t.Helper()
	ns, pods, pols := objects(r.c, tc, st, e)
	for _, node := range nodes {
		n, err := build.Node(build.Cluster{Namespaces: ns, Pods: pods, Policies: pols}, node)
		if err != nil {
			t.Fatalf("step %d (%s): build %s: %v", i, st.Name, node, err)
		}
		conn, err := r.conn(node)
		if err != nil {
			t.Fatalf("open nft layer of %s: %v", node, err)
		}
		if _, err := conn.Sync(compiler.Compile(n)); err != nil {
			t.Fatalf("step %d (%s): sync %s: %v", i, st.Name, node, err)
		}
	}
	r.check(t, st, e, fmt.Sprintf("step %d (%s) via the nft layer", i, st.Name))
}

// renderStep loads every node from scratch with `kubectl nftpolicy render` fed the objects as YAML and
// `nft -f`, and checks the step.
func (r *runner) renderStep(t *testing.T, tc Case, i int, st Step, e env) {
	t.Helper()
	ns, pods, pols := objects(r.c, tc, st, e)
	file := writeManifest(t, ns, pods, pols)
	for _, node := range nodes {
		var out, errOut bytes.Buffer
		code := plugin.Main([]string{"render", "-f", file, "--node", node}, plugin.Streams{Out: &out, Err: &errOut})
		if code != 0 {
			t.Fatalf("step %d (%s): render --node %s: exit %d: %s", i, st.Name, node, code, errOut.String())
		}
		if err := r.c.ResetNode(node); err != nil {
			t.Fatalf("reset %s: %v", node, err)
		}
		if err := r.c.LoadNft(node, out.String()); err != nil {
			t.Fatalf("step %d (%s): nft -f render of %s: %v", i, st.Name, node, err)
		}
		// The nft layer's memory of the node is stale now; the next sync reconnects and adopts this table.
		if conn := r.conns[node]; conn != nil {
			conn.Close()
			delete(r.conns, node)
		}
	}
	r.check(t, st, e, fmt.Sprintf("step %d (%s) via render + nft -f", i, st.Name))
}

func (r *runner) conn(node string) (*kernel.Conn, error) {
	if c, ok := r.conns[node]; ok {
		return c, nil
	}
	c, err := kernel.Open(r.c.NodeNetnsPath(node))
	if err != nil {
		return nil, err
	}
	r.conns[node] = c
	return c, nil
}

// writeManifest writes the objects as one multi-document YAML file, the way `kubectl get -o yaml` would.
func writeManifest(t *testing.T, ns []*corev1.Namespace, pods []*corev1.Pod, pols []*networkingv1.NetworkPolicy) string {
	t.Helper()
	var objs []any
	for _, o := range ns {
		objs = append(objs, o)
	}
	for _, o := range pods {
		objs = append(objs, o)
	}
	for _, o := range pols {
		objs = append(objs, o)
	}
	var b bytes.Buffer
	for _, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	path := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
