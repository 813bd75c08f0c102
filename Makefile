# nftpolicy — run `make help` for the targets.
GO ?= go
BIN ?= $(CURDIR)/bin
PKGS_PURE := ./compiler/... ./nft ./internal/...
# controller-gen, built from the Go module proxy at the version hack/tools/controller-gen/go.mod pins.
CONTROLLER_GEN_VERSION := $(shell awk '$$1 == "sigs.k8s.io/controller-tools" { print $$2; exit }' hack/tools/controller-gen/go.mod)
CONTROLLER_GEN := $(BIN)/controller-gen-$(CONTROLLER_GEN_VERSION)
# kube-apiserver and etcd for envtest, built from the Go module proxy by hack/envtest/build.sh.
ENVTEST_K8S_VERSION := 1.37.2
ENVTEST_ASSETS := $(BIN)/k8s/$(ENVTEST_K8S_VERSION)-$(shell $(GO) env GOOS)-$(shell $(GO) env GOARCH)
export KUBEBUILDER_ASSETS ?= $(ENVTEST_ASSETS)

.DEFAULT_GOAL := help

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z0-9_-]+:.*?##/ { printf "  %-16s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Lab

LAB_ARGS ?=
.PHONY: lab
lab: deps envtest ## Run the lab (root): API server, agent, pods as network namespaces, live matrix. LAB_ARGS="-f DIR" for yours.
	$(GO) build -o $(BIN)/nftpolicy ./cmd/nftpolicy
	$(BIN)/nftpolicy lab $(LAB_ARGS)

.PHONY: lab-cleanup
lab-cleanup: ## Remove what a crashed lab left behind (namespaces, API server processes, state).
	$(GO) run ./cmd/nftpolicy lab --cleanup

##@ Development

.PHONY: build
build: ## Build the binaries into ./bin.
	$(GO) build -o $(BIN)/ ./cmd/...

.PHONY: fmt
fmt: ## Format the code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: lint
lint: ## gofmt and go vet; the import rules are a test (test/arch).
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

##@ Generate

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRDs (config/crd/bases) and the agent's ClusterRole (config/rbac/role.yaml) from markers.
	$(CONTROLLER_GEN) rbac:roleName=nftpolicy-agent crd webhook paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate DeepCopy methods (api/*/zz_generated.deepcopy.go).
	$(CONTROLLER_GEN) object paths="./api/..."

.PHONY: verify-manifests
verify-manifests: ## Fail when api/ or config/ differ from what `make manifests generate` writes.
	./hack/verify-generated.sh

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Build controller-gen into ./bin (cold: ~3 min; skipped when present).
$(CONTROLLER_GEN):
	TOOLS_BIN_DIR=$(BIN) ./hack/tools/build.sh controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen

##@ Test

.PHONY: verify
verify: lint verify-manifests test-unit ## Quick checks before a commit (no root needed).

.PHONY: deps
deps: ## Install the Debian packages the tests need (nftables, iproute2) when missing.
	./hack/ensure-deps.sh

.PHONY: envtest
envtest: ## Build kube-apiserver and etcd for envtest into ./bin (cold: ~13 min; skipped when present).
	ENVTEST_BIN_DIR=$(BIN) ./hack/envtest/build.sh

.PHONY: test
test: deps lint verify-manifests envtest ## Everything CI runs: lint, unit, golden, envtest and real-kernel tests (root).
	$(GO) test ./... -count=1 -timeout 30m
	$(MAKE) --no-print-directory fuzz FUZZTIME=20s

# FuzzBuildCompile (test/fuzz): random clusters through the builder, the compiler and the kernel of a network
# namespace of its own. `go test ./...` runs its seeds; a crasher is written to test/fuzz/testdata/fuzz/.
FUZZTIME ?= 60s
.PHONY: fuzz
fuzz: deps ## Fuzz builder + compiler + kernel for FUZZTIME (default 60s; root).
	$(GO) test -run '^$$' -fuzz FuzzBuildCompile -fuzztime $(FUZZTIME) ./test/fuzz/

.PHONY: test-unit
test-unit: envtest ## Fast tests that need no root (builder, compiler golden text, model, manifests, config).
	$(GO) test -count=1 ./api/... ./config/ ./compiler/build/ ./compiler/eval/ ./nft/ ./test/arch/ ./internal/lab/view/ \
		$$($(GO) list ./internal/... | grep -v -e '/internal/lab$$' -e '/internal/labnet$$' -e '/internal/netns$$' -e '/internal/lab/view$$')
	$(GO) test -count=1 ./compiler/ -run 'TestGolden(Deterministic|Shape)?$$'
	$(GO) test -count=1 ./test/e2e/ -skip 'TestUpstreamSuite|TestExtraCases'

.PHONY: test-e2e
test-e2e: deps ## The upstream NetworkPolicy suite and our extra cases with real packets (root).
	$(GO) test -count=1 -v -timeout 30m ./test/e2e/

# test/bench/report runs `go test -bench -benchtime 1x ./test/bench/` once: it needs root (network namespaces) and
# 6–10 minutes, prints one table checked against the targets, and writes bench/raw.txt, bench/results.md,
# bench/results.json and docs/performance.svg (nothing when go test fails). Its doc.go has the flags and figures.
BENCH_ARGS ?=
.PHONY: bench
bench: deps envtest ## Benchmarks (root, 6–10 min) → table vs targets, bench/results.md, docs/performance.svg. BENCH_ARGS="-bench Datapath -count 3".
	$(GO) run ./test/bench/report $(BENCH_ARGS)

.PHONY: clean-netns
clean-netns: ## Remove network namespaces left by a crashed test run (nftp-*).
	./hack/cleanup-netns.sh
