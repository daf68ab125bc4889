# mirrorbench: `make test` is what CI runs; `make bench` runs the default suite.
GO    ?= go
OUT   ?= results/out
# Fuzz budget per target in `make test`, as execution counts (a few seconds
# each): a duration (-fuzztime 5s) races Go 1.26's fuzz coordinator at the
# deadline and fails now and then with "context deadline exceeded" and no
# failing input (go.dev/issue/75804, fixed in Go 1.27). FUZZTIME=10s sets
# one duration for all.
FUZZ_PARSE       ?= $(or $(FUZZTIME),60000x)
FUZZ_RECORD      ?= $(or $(FUZZTIME),300x)
FUZZ_SAFETENSORS ?= $(or $(FUZZTIME),30000x)

.PHONY: test vet fuzz bench bench-quick benchstat compare compare-check framework-compare clean

test: vet
	$(GO) test -count=1 ./...
	$(MAKE) --no-print-directory fuzz

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (gofmt -l . && echo "gofmt: files above need formatting" && false)
	$(GO) vet ./...

# Each fuzz target for a few seconds: the scenario parser, the record reader
# (slow: every input is written and synced), the safetensors reader.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZ_PARSE) ./scenarios
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRecord$$' -fuzztime $(FUZZ_RECORD) ./results
	$(GO) test -run '^$$' -fuzz '^FuzzReadSafetensors$$' -fuzztime $(FUZZ_SAFETENSORS) ./trainer

# The default suite: the native reference and mirrored runs in full (about
# 2 minutes on 2 cores), the GPU scenario (reported as skipped where there is
# no GPU engine or GPU), and the Gorgonia baseline for one epoch (1-2.5
# minutes). One epoch cannot meet the 5-epoch target: that run ends
# target_missed and exits 1 by design, which make reports and ignores.
bench:
	$(GO) run . run --out $(OUT) reference-cpu1 reference-multicore mirrored-cpu2 mirrored-cpu2-canonical mirrored-gpu2
	-$(GO) run . run --out $(OUT) --epochs 1 reference-gorgonia

# A quick look: the smoke scenario (one short run, under a minute).
bench-quick:
	$(GO) run . run --out $(OUT) smoke

# Summarise every benchmark file in OUT with benchstat.
benchstat:
	$(GO) tool benchstat $(OUT)/*.txt

clean:
	rm -rf $(OUT)

# Benchmarks of BASE against the working tree, interleaved and paired by
# round, with a verdict (about 3 minutes on 2 cores):
#   make compare BASE=HEAD~1 [COUNT=30]
compare:
	BASE=$(BASE) COUNT=$(or $(COUNT),30) .ci/compare.sh

# How often make compare's verdict catches known slowdowns, and raises false
# alarms: records rounds under injected slowdowns, then replays the verdict
# (ROUNDS=40: about 12 minutes). See docs/compare.md.
compare-check:
	.ci/compare-check.sh

# The native engine beside PyTorch (Debian's python3-torch, installed on
# first use) on the same model, batch and MNIST files: bench/frameworks/.
framework-compare:
	.ci/framework-compare.sh
