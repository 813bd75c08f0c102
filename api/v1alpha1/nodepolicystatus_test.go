package v1alpha1

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

func refs(n int) []ObjectRef {
	out := make([]ObjectRef, n)
	for i := range out {
		// Reverse order, so that the setters have to sort.
		out[i] = ObjectRef{Namespace: fmt.Sprintf("ns-%04d", n-i), Name: "p"}
	}
	return out
}

func TestSetPoliciesCapsAndSorts(t *testing.T) {
	for _, n := range []int{0, 1, MaxListed, MaxListed + 1, 5000} {
		in := refs(n)
		orig := slices.Clone(in)
		var s NodePolicyStatusStatus
		s.SetPolicies(in)
		s.SetPods(in)
		if s.PolicyCount != int32(n) || s.PodCount != int32(n) {
			t.Errorf("n=%d: counts %d, %d", n, s.PolicyCount, s.PodCount)
		}
		if want := min(n, MaxListed); len(s.Policies) != want || len(s.Pods) != want {
			t.Errorf("n=%d: listed %d, %d; want %d", n, len(s.Policies), len(s.Pods), want)
		}
		if n > 0 && s.Policies[0].Namespace != "ns-0001" {
			t.Errorf("n=%d: first listed %v, want the smallest", n, s.Policies[0])
		}
		if !slices.IsSortedFunc(s.Policies, func(a, b ObjectRef) int { return strings.Compare(a.Namespace, b.Namespace) }) {
			t.Errorf("n=%d: not sorted", n)
		}
		if !slices.Equal(in, orig) {
			t.Errorf("n=%d: the argument was modified", n)
		}
		if n == 0 && (s.Policies != nil || s.Pods != nil) {
			t.Error("n=0: want nil lists, so that they are omitted")
		}
	}
}

func TestSetUnenforceable(t *testing.T) {
	var s NodePolicyStatusStatus
	s.SetUnenforceable([]UnenforceablePolicy{
		{ObjectRef: ObjectRef{Namespace: "b", Name: "x"}, Reason: "r2"},
		{ObjectRef: ObjectRef{Namespace: "a", Name: "y"}, Reason: "r1"},
	})
	if s.UnenforceablePolicyCount != 2 || s.UnenforceablePolicies[0].Reason != "r1" {
		t.Errorf("got %d %+v", s.UnenforceablePolicyCount, s.UnenforceablePolicies)
	}
}

func TestRulesetHash(t *testing.T) {
	h := RulesetHash([]byte("table inet nftpolicy {\n}\n"))
	if !strings.HasPrefix(h, "sha256:") || len(h) != 71 {
		t.Errorf("hash %q: want sha256: and 64 hex digits (the CRD allows 71 characters)", h)
	}
	if h == RulesetHash([]byte("table inet nftpolicy {\n}")) {
		t.Error("different text, same hash")
	}
}

// TestMaxListedMatchesCRD: the setters' cap and the CRD's maxItems are the same number, so a status the agent
// writes is never refused for a long list.
func TestMaxListedMatchesCRD(t *testing.T) {
	data, err := os.ReadFile("../../config/crd/bases/nftpolicy.dev_nodepolicystatuses.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Schema struct {
					OpenAPIV3Schema struct {
						Properties map[string]struct {
							Properties map[string]struct {
								MaxItems *int `json:"maxItems"`
							} `json:"properties"`
						} `json:"properties"`
					} `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	status := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"].Properties
	for _, field := range []string{"policies", "pods", "unenforceablePolicies"} {
		if m := status[field].MaxItems; m == nil || *m != MaxListed {
			t.Errorf("CRD status.%s maxItems %v, want MaxListed = %d", field, m, MaxListed)
		}
	}
}

// TestEmptyObjectJSON: a new object carries no spec and no status keys, so the create before the first status
// write sends only metadata.
func TestEmptyObjectJSON(t *testing.T) {
	o := &NodePolicyStatus{ObjectMeta: metav1.ObjectMeta{Name: "node-a"}}
	j, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(j), "spec") || strings.Contains(string(j), "status") {
		t.Errorf("empty object marshals as %s", j)
	}
}

// TestSchemeAndDeepCopy: the kinds register with a scheme, and DeepCopy shares no memory with the original.
func TestSchemeAndDeepCopy(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"NodePolicyStatus", "NodePolicyStatusList"} {
		if !s.Recognizes(GroupVersion.WithKind(kind)) {
			t.Errorf("scheme does not know %s", kind)
		}
	}
	now := metav1.NewTime(time.Unix(1_800_000_000, 0))
	o := &NodePolicyStatus{ObjectMeta: metav1.ObjectMeta{Name: "node-a"}}
	o.Status.SetPolicies(refs(3))
	o.Status.LastSyncTime = &now
	o.Status.LastError = &SyncError{Message: "boom", Time: now}
	c := o.DeepCopy()
	c.Status.Policies[0].Name = "changed"
	c.Status.LastError.Message = "changed"
	c.Status.LastSyncTime.Time = time.Time{}
	if o.Status.Policies[0].Name == "changed" || o.Status.LastError.Message == "changed" || o.Status.LastSyncTime.IsZero() {
		t.Error("DeepCopy shares memory with the original")
	}
}
