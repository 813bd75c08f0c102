package arch

import (
	"go/parser"
	"go/token"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/nftpolicy/nftpolicy"

// TestAgentExecsNothing: the agent talks to the kernel through netlink only. None of the module's own packages
// the agent runs (controllers and everything of ours it depends on) imports os/exec, and the file that starts
// the agent (internal/agentcmd/agent.go) imports none of the packages that run programs for the lab and the
// tests (os/exec, internal/netns, internal/lab). (client-go can run a kubeconfig's exec credential plugin; the
// DaemonSet uses the in-cluster service account, which never does.)
func TestAgentExecsNothing(t *testing.T) {
	var ours []string
	for _, d := range deps(t, module+"/controllers") {
		if d == module || strings.HasPrefix(d, module+"/") {
			ours = append(ours, d)
		}
	}
	if len(ours) < 5 {
		t.Fatalf("controllers depends on only %d packages of the module: %v", len(ours), ours)
	}
	out, err := exec.Command("go", append([]string{"list", "-f", `{{.ImportPath}}|{{join .Imports " "}}`}, ours...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, "|")
		for _, imp := range strings.Fields(imports) {
			if imp == "os/exec" {
				t.Errorf("%s imports os/exec; the agent must run no programs", pkg)
			}
		}
	}

	f, err := parser.ParseFile(token.NewFileSet(), "../../internal/agentcmd/agent.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range f.Imports {
		path, _ := strconv.Unquote(is.Path.Value)
		for _, bad := range []string{"os/exec", module + "/internal/netns", module + "/internal/lab"} {
			if path == bad || strings.HasPrefix(path, bad+"/") {
				t.Errorf("internal/agentcmd/agent.go imports %s", path)
			}
		}
	}
}
