# The two commands of the README: `make run [FOLDER=/path/to/card]` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/labeler $(if $(FOLDER),"$(FOLDER)",)

lint: $(STAMP)
	$(BIN)/ruff check labeler inference training resources tests benchmarks
	$(BIN)/ruff format --check labeler inference training resources tests benchmarks
	PYTHONPATH=$(CURDIR) $(BIN)/lint-imports

# pytest exits 5 when it collects no test; that is not a failure of the suite.
test: $(STAMP) lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider; \
	rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; rc=0; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/python benchmarks/scan.py
	$(BIN)/python benchmarks/predict.py

clean:
	rm -rf $(VENV) build *.egg-info
