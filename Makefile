# Delineate build, test and benchmark entry points. Every target installs
# what it needs (scripts/setup-deps.sh), so a fresh Debian machine works.
GO      ?= go
BIN     := bin/delineate
PKGS    := ./...
# Packages that must build and test without cgo (no codec dependency).
PURE    := ./viewer ./viewer/nifti
FUZZTIME ?= 10m

.PHONY: all deps build test vet fmt-check test-nocgo fuzz bench bench-go bench-convert run clean

all: build

deps:
	@scripts/setup-deps.sh

build: deps
	$(GO) build -o $(BIN) ./cmd/app

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test-nocgo:
	CGO_ENABLED=0 $(GO) build $(PKGS)
	CGO_ENABLED=0 $(GO) test -count=1 $(PURE) ./viewer/codec

# The README's test command; .ci/run calls it.
test: deps fmt-check vet test-nocgo
	$(GO) test -count=1 $(PKGS)

# Fuzz every parser for FUZZTIME each (make fuzz FUZZTIME=10m).
fuzz: deps
	scripts/fuzz.sh $(FUZZTIME)

bench: bench-go bench-convert

bench-go: deps
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

bench-convert: build
	@scripts/setup-deps.sh --bench
	scripts/bench-convert.sh

# Until the workstation window lands, the demo is the CLI on a bundled fixture.
run: build
	scripts/demo.sh

clean:
	rm -rf bin
