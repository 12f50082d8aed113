# Delineate build, test and benchmark entry points. Every target installs
# what it needs (scripts/setup-deps.sh), so a fresh Debian machine works.
GO      ?= go
BIN     := bin/delineate
PKGS    := ./...
# Packages that must build and test without cgo (no codec dependency).
PURE    := ./viewer/... ./project/... ./ui/...
FUZZTIME ?= 10m

.PHONY: test-race all deps build test vet fmt-check test-nocgo fuzz bench bench-go bench-convert bench-inference run screenshots clean

all: build

deps:
	@scripts/setup-deps.sh
	@scripts/setup-ort.sh

build: deps
	$(GO) build -o $(BIN) ./cmd/app

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The imaging core and the UI's widgets build and test without cgo (Fyne's
# test driver needs no display); only the codecs' cgo half and the real
# window need it.
test-nocgo:
	CGO_ENABLED=0 $(GO) build $(PURE)
	CGO_ENABLED=0 $(GO) test -count=1 $(PURE)

# The race detector on the packages where the UI goroutine meets loads,
# jobs, autosaves and HTTP clients (about a minute).
RACE_PKGS = ./ui ./project/... ./viewer/edit
test-race:
	$(GO) test -race -count=1 $(RACE_PKGS)

# The README's test command; .ci/run calls it.
test: deps fmt-check vet test-nocgo build
	scripts/smoke-gui.sh
	$(GO) test -count=1 $(PKGS)
	$(MAKE) test-race

# Fuzz every parser for FUZZTIME each (make fuzz FUZZTIME=10m).
fuzz: deps
	scripts/fuzz.sh $(FUZZTIME)

bench: bench-go bench-convert

bench-go: deps
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

bench-convert: build
	@scripts/setup-deps.sh --bench
	scripts/bench-convert.sh

# Segmentation against PyTorch, every real network, bounded memory (~30 min).
bench-inference: build
	scripts/bench-inference.sh

# The workstation window on the built-in demo phantom.
run: build
	$(BIN)

# README screenshots (docs/), from the real window under Xvfb.
screenshots: build
	scripts/readme-screenshots.sh

clean:
	rm -rf bin
