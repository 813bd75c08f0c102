package plugin

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
)

var errHelp = errors.New("help requested")

// RenderOptions are the flags of `render`.
type RenderOptions struct {
	Files []string
	Node  string
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func runRender(args []string, s Streams) error {
	o := &RenderOptions{}
	if err := o.Complete(args, s); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	return o.Run(s)
}

// Complete parses the command line.
func (o *RenderOptions) Complete(args []string, s Streams) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(s.Err)
	fs.Usage = func() {
		fmt.Fprint(s.Err, `Usage: kubectl nftpolicy render -f FILE... [--node NAME]

Reads Namespaces, Pods and NetworkPolicies (YAML or JSON, several documents or a v1 List, as
"kubectl get -o yaml" prints them; a directory means its *.yaml/*.yml/*.json files; - is stdin) and
prints the ruleset of table inet nftpolicy that node would get, as an nft script for "nft -f".

Flags:
`)
		fs.PrintDefaults()
	}
	files := (*stringList)(&o.Files)
	fs.Var(files, "f", "file, directory or - to read (repeatable)")
	fs.Var(files, "filename", "same as -f")
	fs.StringVar(&o.Node, "node", "", "node whose ruleset to print: pods with spec.nodeName equal to it are local (default: every pod is local)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return fmt.Errorf("render: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("render: unexpected argument %q (files go after -f)", fs.Arg(0))
	}
	return nil
}

// Validate checks the options.
func (o *RenderOptions) Validate() error {
	if len(o.Files) == 0 {
		return errors.New("render: at least one -f FILE is required")
	}
	if o.Node != "" {
		if msgs := validation.IsDNS1123Subdomain(o.Node); len(msgs) > 0 {
			return fmt.Errorf("render: --node: invalid node name %q: %s", o.Node, strings.Join(msgs, "; "))
		}
	}
	return nil
}

// Run renders. Output is written only once everything succeeded: never a partial ruleset.
func (o *RenderOptions) Run(s Streams) error {
	objs, err := manifest.Load(o.Files, s.In)
	if err != nil {
		return err
	}
	if objs.Len() == 0 {
		return fmt.Errorf("no objects found in %s", fileList(o.Files))
	}
	n, err := build.Node(build.Cluster{Namespaces: objs.Namespaces, Pods: objs.Pods, Policies: objs.Policies}, o.Node)
	if err != nil {
		return locate(err, objs)
	}
	var buf bytes.Buffer
	compiler.Compile(n).WriteText(&buf)
	if o.Node != "" && !hasPodOn(objs, o.Node) {
		// Valid, but most likely a misspelt node: say so without failing.
		fmt.Fprintf(s.Err, "warning: no pod has spec.nodeName=%s; the ruleset enforces nothing on that node\n", o.Node)
	}
	_, err = s.Out.Write(buf.Bytes())
	return err
}

func hasPodOn(objs *manifest.Objects, node string) bool {
	for _, p := range objs.Pods {
		if p.Spec.NodeName == node {
			return true
		}
	}
	return false
}

// fileList names the -f arguments for a message.
func fileList(files []string) string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f
		if f == "-" {
			names[i] = "<stdin>"
		}
	}
	return strings.Join(names, ", ")
}

// locate prefixes an error about one object ("Kind ns/name: field: problem", as package build words them)
// with the file and document the object came from.
func locate(err error, objs *manifest.Objects) error {
	id, _, _ := strings.Cut(err.Error(), ": ")
	if where := objs.Source(id); where != "" {
		return fmt.Errorf("%s: %w", where, err)
	}
	return err
}
