GO ?= go
BIN := bin

.PHONY: build deps musl-sysroot test lint bench clean hello compose-plugin testcontainers

# deps: tug-shim (and tugd) link libseccomp (cgo, the seccomp build tag):
# libcontainer compiles and loads the containers' syscall filters with it.
# tug-shim is linked statically (libseccomp.a): it is executed for every
# container, as its shim and as its init, and a static binary skips the
# dynamic loader (~0.5 ms of CPU and 70 page faults per exec here). Its C
# library is musl (musl-tools), not glibc: glibc's start-up asks the CPU for
# its cache sizes with some fifty CPUID instructions, each a VM exit
# (~12 us on this VM), so every exec of a glibc tug-shim cost 0.5 ms more
# CPU and 0.8 ms more time (perf stat; libcontainer's init-exec and nsexec
# spans: 5.2 -> 3.5 ms). musl-gcc sees only musl's headers: $(MUSL) holds
# links to the kernel's and libseccomp's, and a copy of libseccomp.a (a
# -L to the system's library directory would find glibc's libc.a too).
deps:
	@test -f /usr/include/seccomp.h || { echo 'installing libseccomp-dev (tugd links libseccomp)'; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libseccomp-dev >/dev/null; }
	@command -v musl-gcc >/dev/null || { echo 'installing musl-tools (tug-shim links musl)'; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >/dev/null; }

MUSL := $(BIN)/.musl
MULTIARCH = $(shell gcc -print-multiarch)
# The environment of a cgo build against musl and libseccomp.a.
MUSL_CGO = CC=musl-gcc CGO_ENABLED=1 CGO_CFLAGS='-O2 -I$(abspath $(MUSL))/include' CGO_LDFLAGS='-L$(abspath $(MUSL))/lib'

musl-sysroot: deps
	@mkdir -p $(MUSL)/include $(MUSL)/lib
	@ln -sfn /usr/include/linux $(MUSL)/include/linux
	@ln -sfn /usr/include/asm-generic $(MUSL)/include/asm-generic
	@ln -sfn /usr/include/$(MULTIARCH)/asm $(MUSL)/include/asm
	@ln -sfn /usr/include/seccomp.h $(MUSL)/include/seccomp.h
	@ln -sfn /usr/include/seccomp-syscalls.h $(MUSL)/include/seccomp-syscalls.h
	@cp -u "$$(gcc -print-file-name=libseccomp.a)" $(MUSL)/lib/libseccomp.a

build: deps musl-sysroot
	CGO_ENABLED=1 $(GO) build -tags seccomp -o $(BIN)/tugd ./cmd/tugd
	$(MUSL_CGO) $(GO) build -tags 'musl seccomp osusergo netgo' -ldflags "-linkmode external -extldflags '-static'" -o $(BIN)/tug-shim ./cmd/tug-shim
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
	# libct again as tugd and tug-shim are built: with libseccomp, on
	# glibc (tugd) and on musl (tug-shim).
	CGO_ENABLED=1 $(GO) test -count=1 -tags seccomp ./internal/runtime/libct/
	$(MUSL_CGO) $(GO) test -count=1 -tags 'musl seccomp' -ldflags "-linkmode external -extldflags '-static'" ./internal/runtime/libct/
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
