# wirebook — every target a reader needs. `make help` lists them.
CARGO ?= cargo
# The newest chapter's server; becomes the capstone (`wirebook`) in chapter 9.
RUN_BIN ?= ch02_hello
ADDR ?= 127.0.0.1:8888

.PHONY: help run test fmt clippy check-fmt build release book bench clean \
        ch01 ch02 ch03 ch04 ch05 ch06 ch07 ch08 ch09

help:
	@echo "make run      start the newest server ($(RUN_BIN)) on $(ADDR)"
	@echo "make test     fmt check, clippy -D warnings, and every test (what CI runs)"
	@echo "make chNN     run chapter NN's main binary"
	@echo "make bench    benchmarks against nginx, tiny_http, tungstenite (../shared/bench)"
	@echo "make book     render chapters/ with mdBook, if installed"

run:
	$(CARGO) run --release --bin $(RUN_BIN) -- --addr $(ADDR)

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
ch03:
	$(CARGO) run --release --bin ch03_get -- http://$(ADDR)/
ch04:
	$(CARGO) run --release --bin ch04_notes -- --addr $(ADDR)
ch05:
	$(CARGO) run --release --bin ch05_server -- --addr $(ADDR)
ch06:
	$(CARGO) run --release --bin ch06_static -- --addr $(ADDR) --root static
ch07:
	$(CARGO) run --release --bin ch06_static -- --addr $(ADDR) --root static --uploads /tmp/wirebook-uploads
ch08:
	$(CARGO) run --release --bin ch08_ws_echo -- --addr 127.0.0.1:8765
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

bench:
	@echo "benchmarks arrive with chapter 5 (see README)"

clean:
	$(CARGO) clean
	rm -rf book
