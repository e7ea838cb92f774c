GO ?= go
BIN := bin

.PHONY: build deps test lint bench clean hello compose-plugin testcontainers

# deps: tug-shim (and tugd) link libseccomp (cgo, the seccomp build tag):
# libcontainer compiles and loads the containers' syscall filters with it.
# tug-shim is linked statically (libc.a, libseccomp.a): it is executed for
# every container, as its shim and as its init, and a static binary skips
# the dynamic loader (~0.5 ms of CPU and 70 page faults per exec here).
deps:
	@test -f /usr/include/seccomp.h || { echo 'installing libseccomp-dev (tugd links libseccomp)'; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libseccomp-dev >/dev/null; }

build: deps
	CGO_ENABLED=1 $(GO) build -tags seccomp -o $(BIN)/tugd ./cmd/tugd
	CGO_ENABLED=1 $(GO) build -tags 'seccomp osusergo netgo' -ldflags "-linkmode external -extldflags '-static'" -o $(BIN)/tug-shim ./cmd/tug-shim
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o $(BIN)/tug-monitor ./cmd/tug-monitor
	CGO_ENABLED=0 $(GO) build -o $(BIN)/tug ./cmd/tug
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o $(BIN)/tug-hello ./cmd/tug-hello
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o $(BIN)/tug-init ./cmd/tug-init
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o $(BIN)/tug-pause ./cmd/tug-pause

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l .; echo 'gofmt: files above need formatting'; exit 1)
	$(GO) vet ./...

# compose-plugin: Docker Compose, built from its module source (pinned in
# scripts/build-compose.sh) and installed as a CLI plugin where tug and the
# docker CLI find it; kept while its version stamp matches.
compose-plugin:
	bash scripts/build-compose.sh

test: build lint compose-plugin
	$(GO) test -count=1 -p 1 -timeout 15m ./...
	# libct again as tugd and tug-shim are built: with libseccomp.
	CGO_ENABLED=1 $(GO) test -count=1 -tags seccomp ./internal/runtime/libct/
	$(MAKE) testcontainers

# testcontainers: testcontainers-go (integration/testcontainers, a module of
# its own) against a tugd the script starts.
testcontainers: build
	bash scripts/testcontainers.sh

bench: build compose-plugin
	$(GO) run ./bench

clean:
	rm -rf $(BIN)

# hello: the first run on a fresh machine: build, start tugd if it is not
# running, and run the built-in hello-world image (offline).
hello: build
	@$(BIN)/tug version >/dev/null 2>&1 || { mkdir -p /var/log && nohup $(BIN)/tugd >/var/log/tugd.log 2>&1 & \
		for i in $$(seq 50); do $(BIN)/tug version >/dev/null 2>&1 && break; sleep 0.1; done; }
	$(BIN)/tug run --rm hello-world
