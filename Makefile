# wirebook — every target a reader needs. `make help` lists them.
CARGO ?= cargo
# The capstone: everything the book built, in one server.
RUN_BIN ?= wirebook
ADDR ?= 127.0.0.1:8888

.PHONY: help run test fmt clippy check-fmt build release book exercises verify bench bench-tools bench-quick fuzz soak \
        browser-deps screenshot clean \
        ch01 ch02 ch03 ch04 ch05 ch06 ch07 ch08 ch09

help:
	@echo "make run      start the capstone ($(RUN_BIN)) on $(ADDR), uploads in $(UPLOADS)"
	@echo "make test     fmt check, clippy -D warnings, and every test (what CI runs)"
	@echo "make chNN     run chapter NN's main binary (ch03 is a client: start a server first;"
	@echo "              ch08 listens on WS_ADDR, default 127.0.0.1:8765)"
	@echo "make exercises  the workbook: list the exercises and their status"
	@echo "              (then: cargo run -q --bin exercises -- next | test | hint)"
	@echo "make fmt      format; make clippy: lint"
	@echo "make bench    chapter 11: every server beside nginx, tiny_http, Tornado, tungstenite;"
	@echo "              report in target/bench/ (BENCH_DURATION=10 BENCH_ROUNDS=2)"
	@echo "make bench-quick  one short round of the same"
	@echo "make fuzz     fuzz every parser, FUZZ_SECONDS each (default 60; nightly, cargo-fuzz)"
	@echo "make soak     the capstone under mixed load for SOAK_SECONDS (default 600); target/soak/"
	@echo "make browser-deps install playwright-core for the browser test (needs npm)"
	@echo "make book     render chapters/ with mdBook into target/book (served at /book/)"
	@echo "make screenshot  run the browser test and copy its picture of the chat page into static/"

# Uploads (PUT /uploads/NAME, chapter 7) land in target/, never in the repository.
UPLOADS ?= $(CURDIR)/target/uploads
run:
	$(CARGO) run --release --bin $(RUN_BIN) -- --addr $(ADDR) --uploads $(UPLOADS)

# Chapter 9's browser test needs Chromium (apt-get install chromium) and
# playwright-core; .ci/run installs both.
browser-deps:
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/browser --no-audit --no-fund

screenshot: browser-deps
	CI=true $(CARGO) test --test ch09_browser -- --nocapture
	cp target/chat.png static/screenshot-chat.png

# Tests whose tools are missing pass without running (outside CI) and leave
# a note in NOT_RUN_DIR; the summary lists them with the command that
# installs what they need.
NOT_RUN_DIR := $(CURDIR)/target/not-run
test: check-fmt clippy
	@rm -rf $(NOT_RUN_DIR)
	@WIREBOOK_NOT_RUN_DIR=$(NOT_RUN_DIR) $(CARGO) test && \
	  $(CARGO) run -q --bin exercises -- verify; status=$$?; \
	  if [ -n "$$(ls -A $(NOT_RUN_DIR) 2>/dev/null)" ]; then \
	    echo; echo "== NOT RUN: these tests passed without running (CI runs them):"; \
	    cat $(NOT_RUN_DIR)/*; \
	  fi; exit $$status

# The workbook (src/workbook/): `make exercises` lists the exercises;
# `make exercises ARGS=next` (or test, hint, start NAME...) runs a command.
exercises:
	@$(CARGO) run -q --bin exercises -- $(ARGS)

# Every stub fails its graded tests, every reference passes them (about a minute).
verify:
	$(CARGO) run -q --bin exercises -- verify

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
	$(CARGO) run --release --bin wirebook -- --addr $(ADDR) --uploads $(UPLOADS)

# The book in the browser: chapters/ rendered by mdBook into target/book,
# which the capstone serves at /book/, with README.md as its front page.
# The chapters stay in target/book/chapters/, beside copies of src/, tests/
# and static/, so their `../src/...` links work there as they do on disk.
# mdBook is installed with cargo when missing (a few minutes, once).
BOOK ?= $(CURDIR)/target/book
BOOK_SRC ?= $(BOOK)-src
MDBOOK ?= $(shell command -v mdbook || echo $(HOME)/.cargo/bin/mdbook)
book:
	@command -v $(MDBOOK) >/dev/null 2>&1 || $(CARGO) install mdbook --locked
	@rm -rf $(BOOK_SRC) $(BOOK) && mkdir -p $(BOOK_SRC)/src/chapters
	@cp chapters/*.md chapters/*.svg $(BOOK_SRC)/src/chapters/ && cp README.md $(BOOK_SRC)/src/README.md
	@{ echo "# Summary"; echo; echo "[wirebook](README.md)"; echo; for f in chapters/*.md; do \
	     echo "- [$$(head -1 $$f | sed 's/^# //')]($$f)"; done; } > $(BOOK_SRC)/src/SUMMARY.md
	@printf '[book]\ntitle = "wirebook"\nsrc = "src"\n\n[output.html]\nno-section-label = true\nsite-url = "/book/"\n' > $(BOOK_SRC)/book.toml
	@$(MDBOOK) build $(BOOK_SRC) --dest-dir $(BOOK)
	@cp -r src static $(BOOK)/ && mkdir -p $(BOOK)/tests && \
	  tar -C tests --exclude=node_modules -cf - . | tar -C $(BOOK)/tests -xf -
	@echo "book rendered in $(BOOK); make run, then open http://$(ADDR)/book/"

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

# Fuzzing: one cargo-fuzz target per parser (tests/fuzz/fuzz_targets/), the
# properties in tests/fuzz/src/lib.rs. New inputs go to target/fuzz/corpus,
# crashes to target/fuzz/artifacts/NAME/; the seed corpus in tests/fuzz/corpus
# is only read. Copy a crash into tests/fuzz/regressions/NAME/ once fixed:
# tests/fuzz_corpus.rs replays it in make test. The parsers are safe Rust
# (bounds-checked), so the default is no sanitizer, which runs about twice
# as many inputs a second; FUZZ_SANITIZER=address turns ASan on.
FUZZ_SECONDS ?= 60
FUZZ_SANITIZER ?= none
FUZZ_TARGETS ?= $(sort $(basename $(notdir $(wildcard tests/fuzz/fuzz_targets/*.rs))))
FUZZ_DIR := $(CURDIR)/target/fuzz
fuzz:
	@$(CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz
	$(CARGO) +nightly fuzz build --fuzz-dir tests/fuzz --target-dir $(FUZZ_DIR) -s $(FUZZ_SANITIZER) -O
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts/$$t; \
	  reg=$(CURDIR)/tests/fuzz/regressions/$$t; [ -d $$reg ] || reg=; \
	  printf "== %-14s %s s: " $$t $(FUZZ_SECONDS); \
	  if $(CARGO) +nightly fuzz run --fuzz-dir tests/fuzz --target-dir $(FUZZ_DIR) -s $(FUZZ_SANITIZER) -O $$t \
	      $(FUZZ_DIR)/corpus/$$t $(CURDIR)/tests/fuzz/corpus/$$t $$reg -- \
	      -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t/ \
	      -print_final_stats=1 >$(FUZZ_DIR)/$$t.log 2>&1; then \
	    sed -n 's/^#\([0-9]*\)\tDONE *\(cov: [0-9]* ft: [0-9]*\).*/\1 runs, \2/p' $(FUZZ_DIR)/$$t.log | tail -1; \
	  else echo "FAILED (see $(FUZZ_DIR)/$$t.log and $(FUZZ_DIR)/artifacts/$$t/)"; failed="$$failed $$t"; fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: properties broken in:$$failed"; exit 1; fi; echo "fuzz: no finding"

# Soak: the release capstone under every kind of load at once for
# SOAK_SECONDS, sampled every 10 s into target/soak/samples.csv and soak.svg,
# then SIGTERM; fails with a summary unless it passed (src/soak/mod.rs).
# SOAK_SERVER_ARGS picks the design, e.g. "--quiet --event-loop".
SOAK_SECONDS ?= 600
SOAK_SERVER ?= target/release/wirebook
SOAK_SERVER_ARGS ?= --quiet
soak:
	$(CARGO) build --release --bin wirebook --bin soak
	target/release/soak --seconds $(SOAK_SECONDS) --server $(SOAK_SERVER) --server-args "$(SOAK_SERVER_ARGS)"

clean:
	$(CARGO) clean
