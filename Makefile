GO ?= go
BIN := bin

.PHONY: build test lint bench clean

build:
	CGO_ENABLED=1 $(GO) build -o $(BIN)/tugd ./cmd/tugd
	CGO_ENABLED=0 $(GO) build -o $(BIN)/tug ./cmd/tug
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o $(BIN)/tug-hello ./cmd/tug-hello

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l .; echo 'gofmt: files above need formatting'; exit 1)
	$(GO) vet ./...

test: build lint
	$(GO) test -count=1 -p 1 -timeout 15m ./...

bench: build
	$(GO) run ./bench

clean:
	rm -rf $(BIN)
