# nftpolicy — run `make help` for the targets.
GO ?= go
BIN ?= $(CURDIR)/bin
PKGS_PURE := ./compiler/... ./nft ./internal/...

.DEFAULT_GOAL := help

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z0-9_-]+:.*?##/ { printf "  %-16s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

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

##@ Test

.PHONY: verify
verify: lint test-unit ## Quick checks before a commit (no root needed).

.PHONY: deps
deps: ## Install the Debian packages the tests need (nftables, iproute2) when missing.
	./hack/ensure-deps.sh

.PHONY: test
test: deps lint ## Everything CI runs: lint, unit, golden and real-kernel tests (needs root).
	$(GO) test ./... -count=1 -timeout 30m

.PHONY: test-unit
test-unit: ## Fast tests that need no root (builder, compiler golden text, model, manifests, case tables).
	$(GO) test -count=1 ./compiler/build/ ./nft/ ./internal/... ./test/arch/
	$(GO) test -count=1 ./compiler/ -run 'TestGolden(Deterministic|Shape)?$$'
	$(GO) test -count=1 ./test/e2e/ -skip 'TestUpstreamSuite|TestExtraCases'

.PHONY: test-e2e
test-e2e: deps ## The upstream NetworkPolicy suite and our extra cases with real packets (root).
	$(GO) test -count=1 -v -timeout 30m ./test/e2e/

.PHONY: bench
bench: ## Benchmarks: build+compile at 100/1k/10k policies × 1k/10k/50k pods; diff and kernel updates (root).
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./test/bench/
	$(GO) test -run '^$$' -bench . -benchmem ./nft/...

.PHONY: clean-netns
clean-netns: ## Remove network namespaces left by a crashed test run (nftp-*).
	./hack/cleanup-netns.sh
