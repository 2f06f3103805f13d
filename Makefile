# The two commands the README promises: `make run` serves Gatehouse, `make test` runs every test.
GO ?= go

.PHONY: run test deps lint unit e2e build bench

run:
	$(GO) run ./cmd/gatehouse serve

build:
	$(GO) build -o bin/gatehouse ./cmd/gatehouse

# deps installs what the tests need and this machine lacks (Debian packages, as root).
deps:
	@scripts/deps.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^bench/')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 15m ./...

test: deps lint unit
	@if [ -f bench/go.mod ]; then cd bench && $(GO) vet ./... && $(GO) test -count=1 -short ./...; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
