# fastspeak — set-up, tests and the demo. `make demo` and `make test` work on a fresh machine.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
FASTSPEAK := $(VENV)/bin/fastspeak
DEMO_DIR ?= data/demo
export MALLOC_MMAP_MAX_ ?= 0
export MALLOC_TRIM_THRESHOLD_ ?= 1000000000000

.PHONY: install test format demo demo-data clean-demo

install: $(VENV)/.installed

# torch==2.13.0 first (a local CPU wheel); a bare "torch" requirement would pull a CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	# distillmos (MOS judge, ships its weights) declares torchaudio, which we must not install
	$(PY) -m pip install -q --no-deps distillmos==0.9.1 xls-r-sqa==0.1.0
	touch $@

test: install
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts
	$(VENV)/bin/mypy src/fastspeak
	$(PY) -m pytest -q -n 2 --dist loadfile

format: install
	$(VENV)/bin/ruff format src tests benchmarks scripts
	$(VENV)/bin/ruff check --fix src tests benchmarks scripts

# The main job: text -> speech with the bundled default voice, offline.
demo: install
	$(FASTSPEAK) synthesize --text-file examples/demo_sentences.txt --out $(DEMO_DIR)/speech
	$(FASTSPEAK) synthesize --text "Hello there. Thank you for trying fastspeak." --out $(DEMO_DIR)/hello.wav
	@echo
	@echo "speech: $(DEMO_DIR)/speech/NNNN.wav (+ .png mel pictures) and $(DEMO_DIR)/hello.wav"

# The data pipeline end to end on a small teacher corpus: corpus -> features.
demo-data: install
	$(FASTSPEAK) corpus teacher --engine piper --num-sentences 24 --held-out 8 --out $(DEMO_DIR)/corpus
	$(FASTSPEAK) preprocess --config configs/piper_joe/fastspeech2.yaml --data $(DEMO_DIR)/corpus --out $(DEMO_DIR)/features
	@echo
	@echo "demo corpus:   $(DEMO_DIR)/corpus   (wavs/, textgrids/, metadata.csv, report.json)"
	@echo "demo features: $(DEMO_DIR)/features (train/val/test.jsonl, vocab.json, stats.json, report.json)"

clean-demo:
	rm -rf $(DEMO_DIR)
