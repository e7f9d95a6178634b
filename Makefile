# wirebook — every target a reader needs. `make help` lists them.
CARGO ?= cargo
# The capstone: everything the book built, in one server.
RUN_BIN ?= wirebook
ADDR ?= 127.0.0.1:8888

.PHONY: help run test fmt clippy check-fmt build release book bench bench-tools bench-quick \
        browser-deps screenshot clean \
        ch01 ch02 ch03 ch04 ch05 ch06 ch07 ch08 ch09

help:
	@echo "make run      start the newest server ($(RUN_BIN)) on $(ADDR)"
	@echo "make test     fmt check, clippy -D warnings, and every test (what CI runs)"
	@echo "make chNN     run chapter NN's main binary (ch03 is a client: start a server first;"
	@echo "              ch08 listens on WS_ADDR, default 127.0.0.1:8765)"
	@echo "make fmt      format; make clippy: lint"
	@echo "make bench    chapter 11: every server beside nginx, tiny_http, Tornado, tungstenite;"
	@echo "              report in target/bench/ (BENCH_DURATION=10 BENCH_ROUNDS=2)"
	@echo "make bench-quick  one short round of the same"
	@echo "make browser-deps install playwright-core for the browser test (needs npm)"
	@echo "make book     render chapters/ with mdBook, if installed"
	@echo "make screenshot  run the browser test and copy its picture of the chat page into static/"

run:
	$(CARGO) run --release --bin $(RUN_BIN) -- --addr $(ADDR)

# Chapter 9's browser test needs Chromium (apt-get install chromium) and
# playwright-core; .ci/run installs both.
browser-deps:
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/browser --no-audit --no-fund

screenshot: browser-deps
	CI=true $(CARGO) test --test ch09_browser -- --nocapture
	cp target/chat.png static/screenshot-chat.png

test: check-fmt clippy
	$(CARGO) test

check-fmt:
	$(CARGO) fmt --all -- --check

fmt:
	$(CARGO) fmt --all

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

build:
	$(CARGO) build

release:
	$(CARGO) build --release

ch01:
	$(CARGO) run --release --bin ch01_tcp_echo_server -- --addr $(ADDR)
ch02:
	$(CARGO) run --release --bin ch02_hello -- --addr $(ADDR)
# The client needs a server: start `make ch02` (or `make run`) in another terminal.
ch03:
	$(CARGO) run --release --bin ch03_get -- http://$(ADDR)/hello
ch04:
	$(CARGO) run --release --bin ch04_notes -- --addr $(ADDR)
ch05:
	$(CARGO) run --release --bin ch05_server -- --addr $(ADDR)
ch06:
	$(CARGO) run --release --bin ch06_static -- --addr $(ADDR) --root static
ch07:
	$(CARGO) run --release --bin ch06_static -- --addr $(ADDR) --root static --uploads /tmp/wirebook-uploads
# The original tutorial's WebSocket examples use port 8765.
WS_ADDR ?= 127.0.0.1:8765
ch08:
	$(CARGO) run --release --bin ch08_ws_echo -- --addr $(WS_ADDR)
ch09:
	$(CARGO) run --release --bin wirebook -- --addr $(ADDR)

# mdBook is optional: the chapters are plain Markdown and read fine on their own.
book:
	@if command -v mdbook >/dev/null 2>&1; then \
	  mkdir -p book/src && cp chapters/*.md book/src/ && \
	  (echo "# Summary"; echo; for f in chapters/*.md; do \
	     t=$$(head -1 $$f | sed 's/^# //'); echo "- [$$t]($$(basename $$f))"; done) > book/src/SUMMARY.md && \
	  printf '[book]\ntitle = "wirebook"\n' > book/book.toml && mdbook build book && \
	  echo "book rendered in book/book/index.html"; \
	else echo "mdbook is not installed (cargo install mdbook); read chapters/*.md directly"; fi

# Benchmarks (chapter 11): every workload against every server, each server
# pinned to CPU 0 and the load generator to CPU 1, servers alternating within
# each round. Writes target/bench/report.md and target/bench/ratios.svg.
# Everything it runs is in this repository: the peers are built from
# tests/peers/ (nginx's configuration, Tornado's script, tiny_http and
# tungstenite as examples). Quote ratios within one run, never absolute
# numbers across runs. BENCH_ARGS passes more options to ch11_bench
# (e.g. BENCH_ARGS="--only hello-c64,ws-16x64 --idle 1000"; with
# BENCH_ARGS="--chapter chapters/11-measuring.md" the run also goes into
# chapter 11 and its chart to chapters/ratios.svg).
BENCH_DURATION ?= 10
BENCH_ROUNDS ?= 2
BENCH_ARGS ?=
PYTHON ?= python3

bench: bench-tools
	$(CARGO) build --release --bins --example peer_tiny_http --example peer_tungstenite
	BENCH_COMMAND="make bench BENCH_DURATION=$(BENCH_DURATION) BENCH_ROUNDS=$(BENCH_ROUNDS)$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)')" \
	  PYTHON=$(PYTHON) \
	  target/release/ch11_bench --duration $(BENCH_DURATION) --rounds $(BENCH_ROUNDS) $(BENCH_ARGS)

# wrk and nginx from apt-get when missing (as root; otherwise say how), and
# Tornado from pip (skipped, with a note in the report, when pip is missing).
bench-tools:
	@missing=""; command -v wrk >/dev/null || missing="wrk"; \
	  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	  command -v taskset >/dev/null || missing="$$missing util-linux"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      echo "== installing$$missing"; \
	      DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing || exit 1; \
	    else echo "make bench needs:$$missing. Install them (sudo apt-get install$$missing) and run it again."; exit 1; fi; \
	  fi
	@$(PYTHON) -c 'import tornado' 2>/dev/null || { \
	  if $(PYTHON) -m pip --version >/dev/null 2>&1; then \
	    echo "== installing Tornado with pip"; \
	    $(PYTHON) -m pip install --quiet tornado || $(PYTHON) -m pip install --quiet --user tornado || \
	      $(PYTHON) -m pip install --quiet --break-system-packages tornado || \
	      echo "note: could not install Tornado; its rows are skipped"; \
	  else echo "note: no pip for $(PYTHON); Tornado's rows are skipped"; fi; }

# One short round, for a quick look.
bench-quick:
	$(MAKE) bench BENCH_DURATION=3 BENCH_ROUNDS=1

clean:
	$(CARGO) clean
	rm -rf book
